/**
 * Odoo's zip written by Python's zipfile (as odoo.tools.osutil.zip_dir does), run on the
 * instance's server where Odoo's python3 is, to stdout. argv: manifest JSON, filestore folder
 * ("" for none), then pg_dump's argv (none: no dump.sql). What makes it faster than Odoo's own
 * (pg_dump to a folder, copy the filestore, zip at level 6):
 *  - pg_dump runs from the start in a thread, its plain SQL deflated (level 1) into an unlinked
 *    temporary file, while the filestore is zipped; dump.sql is appended last (Odoo's restore
 *    extracts by name, the order of entries does not matter to it). The dump is deflated in
 *    1 MiB pieces by a thread pool, pigz-style: each piece a fresh raw deflate ending in a sync
 *    flush, concatenated in order, then an empty final block; the CRC runs over the whole;
 *  - filestore files are deflated by a thread pool (zlib releases the GIL), read ahead within a
 *    bounded window (64 MiB), and written in order by the main thread; small files go to the
 *    pool in groups of about 1 MiB (at most 256 files): one hand-off per file cost more (thread
 *    switches and GIL traffic: 55,000 futex calls for 5,000 files of 52 KB) than deflating it;
 *  - files that are already compressed (images, office files, archives: by magic number, or, for
 *    files over 16 KiB, a first 16 KiB deflate cannot shrink) are stored (ZIP_STORED), not
 *    deflated again.
 * Entries whose CRC and sizes are known before they are written go in without a data descriptor
 * (zipfile's FileHeader, then the entry is registered for the central directory). An unseekable
 * output puts a streamed entry's sizes in a data descriptor, which zipfile (so Odoo's restore)
 * and \`unzip\` read. Any failure (pg_dump, an unreadable file) ends the process with os._exit,
 * so no central directory is written and the output is never a valid-looking zip.
 */
import { pythonMagics } from "./already-compressed.ts";

export const ZIP_PY = `import os, subprocess, sys, tempfile, threading, time, traceback, zipfile, zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor

# glibc hands freed memory back to the kernel as soon as 128 KiB sit free at the top of a heap,
# and every thread's buffers (each file read whole, its deflate) then come back as fresh,
# zero-filled pages: on a filestore of 52 KB files that was 18,000 madvise calls and three times
# the CPU of the work itself (5.7-11.7 s instead of 1.1-3.0 s for 256 MB). Keep up to 256 MiB.
try:
    import ctypes

    _libc = ctypes.CDLL(None)
    _libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    _libc.mallopt(-2, 64 << 20)  # M_TOP_PAD
except Exception:
    pass  # not glibc (musl, macOS): their defaults stand

LEVEL = 1
CHUNK = 1 << 20
SMALL = 8 << 20  # files up to this size are packed whole by a worker thread
WINDOW = 64 << 20  # bytes of files read ahead of the writer
BATCH = 1 << 20  # small files are handed to the pool in groups of about this many bytes
MAGICS = ${pythonMagics()}


def compressible(head, sample=True):
    if head.startswith(MAGICS) or head[4:8] == b"ftyp":
        return False
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return False
    if not sample:
        return True
    # A sample of a bigger file: deflate's gain on its first 16 KiB predicts the rest well.
    sample = head[:16384]
    return len(sample) < 16384 or len(zlib.compress(sample, LEVEL)) < len(sample) * 0.9


def raw_entry(zf, zinfo, crc, method, size, payload, csize):
    # An entry whose CRC and sizes are known before it is written: no data descriptor needed.
    zinfo.compress_type = method
    zinfo.flag_bits = 0
    zinfo.CRC = crc
    zinfo.file_size = size
    zinfo.compress_size = csize
    if zf._seekable:
        zf.fp.seek(zf.start_dir)
    zinfo.header_offset = zf.fp.tell()
    zf.fp.write(zinfo.FileHeader())
    payload()
    zf.filelist.append(zinfo)
    zf.NameToInfo[zinfo.filename] = zinfo
    zf.start_dir = zf.fp.tell()
    zf._didModify = True


def pack(full):
    # Whole file in memory (a worker thread; zlib releases the GIL): CRC and deflate or store.
    with open(full, "rb") as f:
        data = f.read()
    crc = zlib.crc32(data)
    # Files up to 16 KiB are simply deflated, and kept stored when that did not shrink them. Bigger
    # ones are judged by their first 16 KiB, as big files are: deflating a whole incompressible
    # file only to store it was most of the writer's CPU on a filestore of such files.
    if compressible(data[:65536], len(data) > 16384):
        c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        out = c.compress(data) + c.flush()
        if len(out) < len(data):
            return crc, zipfile.ZIP_DEFLATED, len(data), out
    return crc, zipfile.ZIP_STORED, len(data), data


def deflate_chunk(buf):
    # One piece of dump.sql as raw deflate blocks, none final, ending byte-aligned (a sync flush):
    # pieces deflated apart and concatenated in order are one valid deflate stream (as pigz does).
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return c.compress(buf) + c.flush(zlib.Z_SYNC_FLUSH)


class Dump(threading.Thread):
    # pg_dump's plain SQL deflated into an unlinked temporary file, while the filestore is zipped.
    # Its pieces are deflated by a pool of threads (zlib releases the GIL), so the deflate is not
    # one thread's work beside pg_dump; this thread reads, takes the CRC and writes them in order.
    def __init__(self, argv):
        threading.Thread.__init__(self)
        self.argv, self.error, self.code = argv, None, 0
        self.tmp = tempfile.TemporaryFile()
        self.crc = self.size = 0

    def run(self):
        try:
            p = subprocess.Popen(self.argv, stdout=subprocess.PIPE)
            try:  # a 1 MiB pipe (Linux): pg_dump writes ahead, this thread wakes less often
                import fcntl

                fcntl.fcntl(p.stdout.fileno(), 1031, CHUNK)  # F_SETPIPE_SZ
            except Exception:
                pass
            workers = max(1, min(4, os.cpu_count() or 1))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                pending = deque()
                while True:
                    buf = p.stdout.read(CHUNK)
                    if not buf:
                        break
                    self.crc = zlib.crc32(buf, self.crc)
                    self.size += len(buf)
                    pending.append(pool.submit(deflate_chunk, buf))
                    # Bounded: at most two pieces per worker in memory, written as they are done.
                    while pending and (len(pending) > 2 * workers or pending[0].done()):
                        self.tmp.write(pending.popleft().result())
                while pending:
                    self.tmp.write(pending.popleft().result())
            # The final block: empty, with BFINAL set (also the whole stream of an empty dump).
            self.tmp.write(zlib.compressobj(LEVEL, zlib.DEFLATED, -15).flush())
            self.code = p.wait()
        except BaseException as e:
            self.error = e

    def write_to(self, zf):
        self.tmp.flush()
        csize = self.tmp.tell()
        self.tmp.seek(0)

        def copy():
            while True:
                buf = self.tmp.read(CHUNK)
                if not buf:
                    break
                zf.fp.write(buf)

        zinfo = zipfile.ZipInfo("dump.sql", date_time=time.localtime()[:6])
        zinfo.external_attr = 0o600 << 16
        raw_entry(zf, zinfo, self.crc, zipfile.ZIP_DEFLATED, self.size, copy, csize)


def files_of(fsdir):
    for root, dirs, files in os.walk(fsdir):
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(root, name)


def info_for(full, arc):
    try:
        return zipfile.ZipInfo.from_file(full, arc, strict_timestamps=False)
    except TypeError:  # Python < 3.8
        return zipfile.ZipInfo.from_file(full, arc)


def pack_batch(fulls):
    return [pack(f) for f in fulls]


def zip_files(zf, fsdir, pool, failed):
    # ahead: (zinfo, path, (future, index in its batch) or None for a big file), in zip order.
    ahead, queued = deque(), 0
    walk = files_of(fsdir)
    batch, batched = [], 0

    def flush():
        nonlocal batch, batched
        if batch:
            fut = pool.submit(pack_batch, [full for _, full in batch])
            ahead.extend((zinfo, full, (fut, i)) for i, (zinfo, full) in enumerate(batch))
            batch, batched = [], 0

    def refill():
        nonlocal queued, batched
        for full in walk:
            zinfo = info_for(full, "filestore/" + os.path.relpath(full, fsdir))
            if zinfo.file_size <= SMALL:
                batch.append((zinfo, full))
                batched += zinfo.file_size
                queued += zinfo.file_size
                if batched >= BATCH or len(batch) >= 256:
                    flush()
            else:
                flush()  # the big file keeps its place after the small ones before it
                ahead.append((zinfo, full, None))
            if queued >= WINDOW:
                break
        flush()

    refill()
    while ahead and not failed():
        zinfo, full, job = ahead.popleft()
        if job is None:
            # A big file: streamed through zipfile (data descriptor), stored if already compressed.
            with open(full, "rb") as f:
                head = f.read(65536)
                zinfo.compress_type = zipfile.ZIP_DEFLATED if compressible(head) else zipfile.ZIP_STORED
                with zf.open(zinfo, "w", force_zip64=True) as out:
                    buf = head
                    while buf:
                        out.write(buf)
                        buf = f.read(CHUNK)
        else:
            crc, method, size, data = job[0].result()[job[1]]
            queued -= zinfo.file_size
            raw_entry(zf, zinfo, crc, method, size, lambda: zf.fp.write(data), len(data))
        if queued < WINDOW // 2:
            refill()


def main(zf, manifest, fsdir, dump):
    d = Dump(dump) if dump else None
    if d:
        d.start()
    zf.writestr("manifest.json", manifest)
    if fsdir and os.path.isdir(fsdir):
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            zip_files(zf, fsdir, pool, lambda: d is not None and not d.is_alive() and (d.error or d.code))
    if d:
        d.join()
        if d.error is not None:
            raise d.error
        if d.code != 0:
            return d.code if d.code > 0 else 1
        d.write_to(zf)
    zf.close()
    return 0


# Module-level, so it is never finalized (and closed into a whole zip) before os._exit below.
kw = {"allowZip64": True, "compresslevel": LEVEL, "strict_timestamps": False}
try:
    zf = zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.ZIP_DEFLATED, **kw)
except TypeError:  # Python < 3.8
    zf = zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
try:
    code = main(zf, sys.argv[1], sys.argv[2], sys.argv[3:])
except BaseException:
    traceback.print_exc()
    code = 1
sys.stdout.flush()
sys.stderr.flush()
# os._exit: no finalizer may close a failed ZipFile into a valid-looking zip.
os._exit(code)
`;
