/**
 * Fixed shell scripts for file work over SSH. Paths always travel as positional arguments
 * ("$1"), never pasted into the script text. Run with LC_ALL=C so error wording is stable.
 */

/** `readFile`: checks first (so errors come before any byte), then streams from byte $2 (1-based). */
export const READ_SCRIPT = `
if [ -d "$1" ]; then echo "odoodeck:EISDIR" >&2; exit 3; fi
if [ ! -e "$1" ]; then echo "odoodeck:ENOENT" >&2; exit 3; fi
if [ ! -r "$1" ]; then echo "odoodeck:EACCES" >&2; exit 3; fi
exec tail -c +"$2" -- "$1"`;

/** Length of the random trailer `writeFile` appends once all data was sent. */
export const TOKEN_LENGTH = 32;

/**
 * \`writeFile\`: $1 temp (or the target itself when not atomic), $2 target, $3 trailer token,
 * $4 mode (octal, may be empty). The data only replaces the target when it ends with the token:
 * an upload cut short (source error, cancel, dropped link) never becomes the file.
 */
export const WRITE_SCRIPT = `
umask 077
trap '' PIPE
tmp=$1 dest=$2 token=$3 mode=$4
fail() { [ "$tmp" = "$dest" ] || rm -f -- "$tmp"; [ -z "$2" ] || echo "$2" >&2; exit "\${1:-1}"; }
cat > "$tmp" || fail 1
[ "$(tail -c ${TOKEN_LENGTH} -- "$tmp")" = "$token" ] || fail 3 "odoodeck: upload incomplete"
truncate -s -${TOKEN_LENGTH} -- "$tmp" || fail 1
if [ "$tmp" != "$dest" ] && [ -e "$dest" ]; then
  chown --reference="$dest" -- "$tmp" 2>/dev/null
  [ -n "$mode" ] || chmod --reference="$dest" -- "$tmp" || fail 1
fi
[ -z "$mode" ] || chmod "$mode" -- "$tmp" || fail 1
[ "$tmp" = "$dest" ] || mv -f -T -- "$tmp" "$dest" || fail 1`;

const FIELDS = "%y\\t%s\\t%T@\\t%m\\t%U\\t%G";

/** `stat`: $1 path, $2 "-L" to follow a final symlink or "-P" not to. NUL-terminated record. */
export const STAT_SCRIPT = `exec find "$2" "$1" -maxdepth 0 -printf '${FIELDS}\\0'`;

/** `list`: one NUL-terminated record per entry of $1 (symlinks not followed), name last. */
export const LIST_SCRIPT = `
if [ ! -d "$1" ]; then
  if [ -e "$1" ]; then echo "Not a directory" >&2; else echo "No such file or directory" >&2; fi
  exit 2
fi
exec find -P "$1" -mindepth 1 -maxdepth 1 -printf '${FIELDS}\\t%f\\0'`;

/** `remove`: an empty directory with rmdir unless recursive ($2 = "r"); gone already is fine. */
export const REMOVE_SCRIPT = `
if [ "$2" = r ]; then exec rm -rf -- "$1"; fi
if [ -d "$1" ] && [ ! -L "$1" ]; then exec rmdir -- "$1"; fi
exec rm -f -- "$1"`;

/** A path find/mv cannot mistake for an option. */
export function safePath(p: string): string {
  return p.startsWith("/") || p.startsWith("./") ? p : `./${p}`;
}

export function parseRecord(fields: string[], path: string, name: string) {
  const [y, size, mtime, mode, uid, gid] = fields;
  const type = y === "f" ? "file" : y === "d" ? "dir" : y === "l" ? "symlink" : "other";
  return {
    name,
    path,
    type: type as "file" | "dir" | "symlink" | "other",
    size: Number(size),
    mtimeMs: Math.round(Number.parseFloat(mtime) * 1000),
    mode: Number.parseInt(mode, 8),
    uid: Number(uid),
    gid: Number(gid),
  };
}
