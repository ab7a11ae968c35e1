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

#endif
