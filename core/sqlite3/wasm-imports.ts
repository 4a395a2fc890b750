import { randomFill } from './random-fill.ts';
import type { WasmImports, WasmMemory } from './webassembly.ts';

/** The wasm page size, and the largest heap a 32-bit module can address. */
const PAGE = 65536;
const MAX_HEAP = 2 ** 31;
/**
 * The heap SQLite starts with (as the package's own loader gives it).
 * @example new WebAssembly.Memory({ initial: INITIAL_HEAP / 65536, maximum: 32768 })
 */
export const INITIAL_HEAP = 8 << 20;

// Error numbers as Emscripten's libc knows them (WASI numbering).
const EBADF = 8;
const ENOENT = 44;
const EINVAL = 28;
const ENOSYS = 52;
/** SQLite seeds its PRNG from this file (os_unix.c), the one file the module may open. */
const URANDOM = '/dev/urandom';
const URANDOM_FD = 1000;

/**
 * The `env` and `wasi_snapshot_preview1` functions `sqlite3.wasm` imports, for a module whose
 * heap is `memory`.
 *
 * SQLite does its file I/O through the VFS wasmlite registers, never through libc, so the POSIX
 * file calls of the bundled `unix` VFSes are stubs that fail (`-ENOSYS`, `EBADF`): opening a
 * database through them fails with `SQLITE_CANTOPEN` instead of touching files. What SQLite really
 * uses is implemented: clocks (`time()`, `gettimeofday`), the local time zone (the `localtime`
 * date modifier), an empty environment, heap growth for `malloc`, and `/dev/urandom`, which the
 * default (`unix`) VFS reads to seed SQLite's PRNG (`random()`, `randomblob()`, WAL salts):
 * without it the seed would be the time and a constant pid, the same in every process.
 *
 * @example
 * const memory = new WasmMemory({ initial: INITIAL_HEAP / 65536, maximum: 32768 });
 * const instance = new WebAssembly.Instance(module, wasmImports(memory));
 */
export function wasmImports(memory: WasmMemory): WasmImports {
  const view = () => new DataView(memory.buffer);
  const failSyscall = () => -ENOSYS;
  const badFile = () => EBADF;
  return {
    env: {
      memory,
      emscripten_date_now: () => Date.now(),
      emscripten_get_now: () => performance.now(),
      emscripten_get_heap_max: () => MAX_HEAP,
      emscripten_resize_heap: (requested: number) => growHeap(memory, requested >>> 0),
      _tzset_js: (timezone: number, daylight: number, stdName: number, dstName: number) => {
        const zone = localZone(new Date().getFullYear());
        const dv = view();
        dv.setUint32(timezone, zone.standardOffset * 60, true);
        dv.setInt32(daylight, zone.winter !== zone.summer ? 1 : 0, true);
        const u8 = new Uint8Array(memory.buffer);
        // tzname[0] is the standard (larger offset) zone, tzname[1] the daylight one.
        const [std, dst] = zone.summer < zone.winter ? [zone.winter, zone.summer] : [zone.summer, zone.winter];
        writeCString(u8, stdName, offsetName(std));
        writeCString(u8, dstName, offsetName(dst));
      },
      _localtime_js: (time: bigint, tm: number) => {
        const date = new Date(Number(time) * 1000);
        const year = date.getFullYear();
        const zone = localZone(year);
        const dv = view();
        dv.setInt32(tm, date.getSeconds(), true);
        dv.setInt32(tm + 4, date.getMinutes(), true);
        dv.setInt32(tm + 8, date.getHours(), true);
        dv.setInt32(tm + 12, date.getDate(), true);
        dv.setInt32(tm + 16, date.getMonth(), true);
        dv.setInt32(tm + 20, year - 1900, true);
        dv.setInt32(tm + 24, date.getDay(), true);
        const dayOfYear = Math.round(
          (Date.UTC(year, date.getMonth(), date.getDate()) - Date.UTC(year, 0, 1)) / 86_400_000,
        );
        dv.setInt32(tm + 28, dayOfYear, true);
        const offset = date.getTimezoneOffset();
        dv.setInt32(
          tm + 32,
          zone.winter !== zone.summer && offset === Math.min(zone.winter, zone.summer) ? 1 : 0,
          true,
        );
        dv.setInt32(tm + 36, -offset * 60, true);
      },
      _mmap_js: failSyscall,
      _munmap_js: failSyscall,
      __syscall_faccessat: failSyscall,
      __syscall_fchmod: failSyscall,
      __syscall_chmod: failSyscall,
      __syscall_fchown32: failSyscall,
      __syscall_fcntl64: failSyscall,
      __syscall_openat: (_dirfd: number, path: number) => {
        const u8 = new Uint8Array(memory.buffer);
        const name = Buffer.from(u8.buffer, path, u8.indexOf(0, path) - path).toString('latin1');
        return name === URANDOM ? URANDOM_FD : -ENOENT;
      },
      __syscall_ioctl: failSyscall,
      __syscall_fstat64: failSyscall,
      __syscall_stat64: failSyscall,
      __syscall_newfstatat: failSyscall,
      __syscall_lstat64: failSyscall,
      __syscall_ftruncate64: failSyscall,
      __syscall_getcwd: failSyscall,
      __syscall_mkdirat: failSyscall,
      __syscall_readlinkat: failSyscall,
      __syscall_rmdir: failSyscall,
      __syscall_unlinkat: failSyscall,
      __syscall_utimensat: failSyscall,
    },
    wasi_snapshot_preview1: {
      clock_time_get: (clock: number, _precision: bigint, out: number) => {
        // 0 is the wall clock; 1–3 (monotonic, process and thread CPU time) share the monotonic one.
        if (clock < 0 || clock > 3) return EINVAL;
        const ms = clock === 0 ? Date.now() : performance.now();
        view().setBigInt64(out, BigInt(Math.round(ms * 1e6)), true);
        return 0;
      },
      environ_sizes_get: (count: number, size: number) => {
        const dv = view();
        dv.setUint32(count, 0, true);
        dv.setUint32(size, 0, true);
        return 0;
      },
      environ_get: () => 0,
      fd_close: (fd: number) => (fd === URANDOM_FD ? 0 : EBADF),
      fd_write: badFile,
      fd_read: (fd: number, iovs: number, count: number, nread: number) => {
        if (fd !== URANDOM_FD) return EBADF;
        const dv = view();
        const u8 = new Uint8Array(memory.buffer);
        let total = 0;
        for (let i = 0; i < count; i++) {
          const length = dv.getUint32(iovs + i * 8 + 4, true);
          randomFill(u8, dv.getUint32(iovs + i * 8, true), length);
          total += length;
        }
        dv.setUint32(nread, total, true);
        return 0;
      },
      fd_seek: badFile,
      fd_sync: badFile,
      fd_fdstat_get: badFile,
    },
  };
}

/**
 * Grows the heap to at least `requested` bytes, with headroom (a fifth more than now) so that a
 * growing database does not grow the memory on every allocation. Returns 1 on success, 0 if the
 * heap cannot grow (malloc then fails with `SQLITE_NOMEM`).
 */
function growHeap(memory: WasmMemory, requested: number): number {
  const current = memory.buffer.byteLength;
  if (requested > MAX_HEAP) return 0;
  for (const target of [Math.max(requested, current * 1.2), requested]) {
    const bytes = Math.min(MAX_HEAP, Math.ceil(target / PAGE) * PAGE);
    try {
      memory.grow((bytes - current) / PAGE);
      return 1;
    } catch {
      // The headroom may not fit where the exact request does.
    }
  }
  return 0;
}

/** The local zone's UTC offsets (minutes west, as `getTimezoneOffset`) in winter and summer. */
function localZone(year: number): { winter: number; summer: number; standardOffset: number } {
  const winter = new Date(year, 0, 1).getTimezoneOffset();
  const summer = new Date(year, 6, 1).getTimezoneOffset();
  return { winter, summer, standardOffset: Math.max(winter, summer) };
}

/** `UTC+0100` for an offset of -60 minutes (what libc shows as the zone's name). */
function offsetName(minutesWest: number): string {
  const east = -minutesWest;
  const abs = Math.abs(east);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const minutes = String(abs % 60).padStart(2, '0');
  return `UTC${east >= 0 ? '+' : '-'}${hours}${minutes}`;
}

function writeCString(u8: Uint8Array, ptr: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  u8.set(bytes, ptr);
  u8[ptr + bytes.length] = 0;
}
