/**
 * The remote half of follow mode: one long-running POSIX shell per followed file, so SSH costs one
 * channel instead of a round trip per poll. It is a constant; the path and cursor arrive as
 * positional arguments ($1…$4), never pasted into the script.
 *
 * It holds the file open on fd 3, so bytes written just before a rotation (rename) or a delete are
 * still read, and prints frames, one per line:
 *   S <dev:ino> <offset> <line|->  started, reading that file from that offset (file line number
 *                          there, when counted)
 *   D <dev:ino> <offset>   then one line of base64: the bytes at that offset (≤ 1 MiB a frame)
 *   R <dev:ino>            the path now names another file (rotation): reading it from 0
 *   T <dev:ino>            the file shrank (truncation): reading it again from 0
 *   M <dev:ino>            the path is gone (deleted); waiting for it to come back
 *   H                      heartbeat: a dead reader kills the script (SIGPIPE), a silent link is noticed
 *   E <reason>             cannot start: missing | unreadable
 * Args: path, expected dev:ino ("" for none), offset ("end" for the current size), poll interval (s),
 * count the lines before the offset when it is at most this many bytes (0: do not count).
 */
export const FOLLOW_SCRIPT = String.raw`
p=$1; want=$2; off=$3; iv=$4; most=$5
if [ ! -e "$p" ]; then echo "E missing"; exit 3; fi
if [ -d "$p" ] || [ ! -r "$p" ]; then echo "E unreadable"; exit 3; fi
exec 3<"$p" || { echo "E unreadable"; exit 3; }
cur=$(stat -L -c '%d:%i' /dev/fd/3)
send() {
  while [ "$1" -gt "$off" ]; do
    n=$(( $1 - off )); [ "$n" -le 1048576 ] || n=1048576
    echo "D $cur $off"
    dd if=/dev/fd/3 bs=65536 iflag=skip_bytes,count_bytes skip="$off" count="$n" 2>/dev/null | base64 -w0
    echo
    off=$(( off + n ))
  done
}
if [ -n "$want" ] && [ "$want" != "$cur" ]; then
  for f in "$p".* "$p"-*; do
    [ -f "$f" ] || continue
    if [ "$(stat -L -c '%d:%i' -- "$f")" = "$want" ]; then
      exec 4<&3 3<"$f"; keep=$cur; cur=$want
      send "$(stat -L -c %s /dev/fd/3)"
      exec 3<&4 4<&-; cur=$keep; break
    fi
  done
  off=0; echo "R $cur"
elif [ "$off" = end ]; then off=$(stat -L -c %s /dev/fd/3)
fi
line=-
if [ "$off" = 0 ]; then line=1
elif [ "$off" -le "$most" ]; then line=$(( $(head -c "$off" /dev/fd/3 | wc -l) + 1 ))
fi
echo "S $cur $off $line"
miss=; beat=0
while :; do
  set -- $(stat -L -c '%d:%i %s' /dev/fd/3 "$p" 2>/dev/null)
  if [ "$2" -lt "$off" ]; then off=0; echo "T $cur"; fi
  send "$2"
  if [ -z "$3" ]; then
    [ -n "$miss" ] || { miss=1; echo "M $cur"; }
  elif [ "$3" != "$cur" ] && [ -r "$p" ]; then
    send "$(stat -L -c %s /dev/fd/3)"
    exec 3<"$p"; cur=$(stat -L -c '%d:%i' /dev/fd/3); off=0; miss=; echo "R $cur"
    continue
  fi
  beat=$(( beat + 1 )); if [ "$beat" -ge 10 ]; then beat=0; echo H; fi
  sleep "$iv"
done
`;
