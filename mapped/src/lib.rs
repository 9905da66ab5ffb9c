//! A read-only memory map of a file that stays readable when the file shrinks under it.
//!
//! Reading a trace through a map spares the copy from the page cache that `read` makes (a
//! quarter of the scan's time on a file with few hits). The danger of a map is a file cut short
//! while it is mapped: CUCM rotates and rewrites its traces, and a user may point the tool at a
//! folder a collector is still writing. Touching a page past the new end raises SIGBUS, which
//! kills the process. Here a SIGBUS handler, installed once, replaces such a page of one of this
//! crate's maps with a page of zeros and lets the read go on; the map remembers that it happened
//! ([`Mapped::shrank`]), so the caller can say that the file changed while it was read. A fault
//! at any other address is not ours: the handler puts the previous action back and returns, the
//! access faults again, and the process ends as it would have without this crate. The same
//! technique: Meta's Sapling (`indexedlog`, zero-filled pages on SIGBUS) and EFL's `eina_mmap`.
//!
//! A file changed in place (not cut short) shows its new bytes; a reader of a map must not rely
//! on a byte read twice being the same, and the trace scanner does not (it is total over any
//! bytes). Only Linux and other Unix systems map; elsewhere [`Mapped::open`] says no and the
//! caller reads.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// Maps open at once that the handler knows (a slot each). Beyond this a file is read instead.
const SLOTS: usize = 64;

struct Slot {
    /// Start address of the map, 0 when the slot is free.
    start: AtomicUsize,
    len: AtomicUsize,
    shrank: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot { start: AtomicUsize::new(0), len: AtomicUsize::new(0), shrank: AtomicBool::new(false) };
static TABLE: [Slot; SLOTS] = [FREE; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// A file's bytes, mapped read-only.
pub struct Mapped {
    ptr: *const u8,
    len: usize,
    slot: usize,
}

// SAFETY: the map is read-only and owned by this value alone; the pointer is valid for `len`
// bytes until drop (pages past a shrunk file's end become zero pages, never unmapped holes).
unsafe impl Send for Mapped {}
// SAFETY: as above: shared access only reads.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps `file` (its length now), or `Ok(None)` when it should be read instead: an empty
    /// file, a file that is not a regular one, no free slot, a platform without maps, or the
    /// handler could not be installed.
    #[cfg(unix)]
    pub fn open(file: &File) -> io::Result<Option<Mapped>> {
        use std::os::fd::AsRawFd;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            return Ok(None);
        }
        let Ok(len) = usize::try_from(meta.len()) else { return Ok(None) };
        if !install() {
            return Ok(None);
        }
        let Some(slot) = claim() else { return Ok(None) };
        // SAFETY: a fresh read-only private mapping of an open file descriptor; the kernel
        // checks the arguments and reports failure as MAP_FAILED.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr == libc::MAP_FAILED {
            release_slot(slot);
            return Err(io::Error::last_os_error());
        }
        // SAFETY: advice on the mapping just made; failure is harmless and ignored.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
        }
        if let Some(s) = TABLE.get(slot) {
            s.shrank.store(false, Ordering::Relaxed);
            s.len.store(len, Ordering::Relaxed);
            // Published last: the handler reads `start` first.
            s.start.store(ptr as usize, Ordering::Release);
        }
        Ok(Some(Mapped { ptr: ptr.cast::<u8>().cast_const(), len, slot }))
    }

    #[cfg(not(unix))]
    pub fn open(_file: &File) -> io::Result<Option<Mapped>> {
        Ok(None)
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live read-only mapping of `len` bytes until `self` drops; a page
        // past a shrunk file's end reads as zeros (the handler), so every byte stays readable.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Whether the file was cut short while mapped: some of [`Mapped::bytes`] read as zeros
    /// instead of the file's (now missing) bytes.
    pub fn shrank(&self) -> bool {
        TABLE.get(self.slot).is_some_and(|s| s.shrank.load(Ordering::Acquire))
    }

    /// Takes the map out of the handler's table (its slot stays claimed until drop): for the
    /// test that a fault outside the crate's maps still ends the process.
    #[doc(hidden)]
    pub fn forget_for_tests(&self) {
        if let Some(s) = TABLE.get(self.slot) {
            s.start.store(0, Ordering::Release);
        }
    }

    /// Lets the kernel drop the pages of `range` from this process (they stay in the page
    /// cache): a scan that has passed them keeps its resident memory to what it still reads.
    pub fn done_with(&self, range: std::ops::Range<usize>) {
        let page = PAGE.load(Ordering::Relaxed).max(1);
        // Whole pages inside the range only.
        let start = range.start.div_ceil(page).saturating_mul(page);
        let end = (range.end.min(self.len) / page).saturating_mul(page);
        if end <= start {
            return;
        }
        #[cfg(unix)]
        // SAFETY: the range is inside the mapping, page-aligned; MADV_DONTNEED on a private
        // read-only file mapping only drops the pages, which read again from the file (or as a
        // zero page) on the next touch.
        unsafe {
            libc::madvise(self.ptr.add(start).cast_mut().cast(), end - start, libc::MADV_DONTNEED);
        }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some(s) = TABLE.get(self.slot) {
            s.start.store(0, Ordering::Release);
        }
        #[cfg(unix)]
        // SAFETY: the mapping made in `open`, unmapped once; nothing borrows it past `self`.
        unsafe {
            libc::munmap(self.ptr.cast_mut().cast(), self.len);
        }
        release_slot(self.slot);
    }
}

/// Slots in use (their `start` may still be 0 while a map is being made).
static CLAIMED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

fn claim() -> Option<usize> {
    CLAIMED.iter().position(|c| c.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok())
}

fn release_slot(slot: usize) {
    if let Some(c) = CLAIMED.get(slot) {
        c.store(false, Ordering::Release);
    }
}

#[cfg(unix)]
static mut PREVIOUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::zeroed();

/// Installs the SIGBUS handler once; whether it is in place.
#[cfg(unix)]
fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let Ok(p) = usize::try_from(page) {
            if p > 0 {
                PAGE.store(p, Ordering::Relaxed);
            }
        }
        // SAFETY: a zeroed sigaction is a valid value to fill in; the handler has the
        // SA_SIGINFO signature; PREVIOUS is written here once, before any SIGBUS can reach
        // the handler (which is installed by this very call), and only read afterwards.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let previous = std::ptr::addr_of_mut!(PREVIOUS).cast::<libc::sigaction>();
            if libc::sigaction(libc::SIGBUS, &action, previous) == 0 {
                INSTALLED.store(true, Ordering::Release);
            }
        }
    });
    INSTALLED.load(Ordering::Acquire)
}

/// The handler: only atomics, `mmap` and `sigaction` (system calls; `mmap` is not on POSIX's
/// async-signal-safe list, but on Linux it is a plain system call with no user-space state,
/// which is what Sapling and EFL rely on too).
#[cfg(unix)]
extern "C" fn on_sigbus(_signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed).max(1);
    for s in &TABLE {
        let start = s.start.load(Ordering::Acquire);
        let len = s.len.load(Ordering::Relaxed);
        if start == 0 || addr < start || addr - start >= len {
            continue;
        }
        let at = addr - addr % page;
        // SAFETY: `at` is a page of one of our live read-only mappings; MAP_FIXED replaces
        // just that page with an anonymous zero page, which the faulting read then sees.
        let r = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r != libc::MAP_FAILED {
            s.shrank.store(true, Ordering::Release);
            return;
        }
        break;
    }
    // Not one of ours (or the page could not be replaced): the previous action, then the
    // access faults again and that action happens.
    // SAFETY: PREVIOUS was filled by `install` before this handler could run.
    unsafe {
        let previous = std::ptr::addr_of!(PREVIOUS).cast::<libc::sigaction>();
        libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn install() -> bool {
    false
}
