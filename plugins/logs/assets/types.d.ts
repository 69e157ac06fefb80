/** The plugin's browser assets are imported as text (embedded in the binary, served by the plugin). */
declare module "*/assets/logs.js" {
  const text: string;
  export default text;
}
