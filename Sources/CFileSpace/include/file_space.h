#ifndef CFILESPACE_H
#define CFILESPACE_H

#include <stdint.h>

/// Reserves disk blocks for the first `length` bytes of the file `fd` with
/// the `fallocate` system call (mode 0: the file grows to `length` if it is
/// shorter). Returns 0, or the errno value of the failure.
///
/// Unlike glibc's `posix_fallocate`, this never emulates a reservation by
/// writing every block where the file system has no `fallocate` (FUSE, NFS,
/// some overlays): it fails with EOPNOTSUPP instead, and the caller writes
/// with write calls. Where the platform has no `fallocate` it returns
/// EOPNOTSUPP too.
int cfile_space_reserve(int fd, int64_t length);

/// 1 when `fd` lives on a copy-on-write file system (btrfs, ZFS), where
/// reserved blocks do not guarantee that a write through a mapping finds
/// space; 0 when it does not or the type cannot be read.
int cfile_space_is_copy_on_write(int fd);

/// Advice for a long sequential write: with `drop` 0, starts writing the
/// `length` bytes at `offset` back to the disk without waiting
/// (`sync_file_range`); with `drop` 1, waits until they are written back
/// and then lets the page cache drop them (`posix_fadvise` DONTNEED).
/// Durability is unchanged: only an fsync makes the bytes durable. Returns
/// 0, or the errno value of the failure (ENOSYS where there is no
/// `sync_file_range`).
int cfile_space_write_behind(int fd, int64_t offset, int64_t length, int drop);

#endif
