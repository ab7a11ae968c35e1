#define _GNU_SOURCE
#include "file_space.h"

#include <errno.h>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/vfs.h>

int cfile_space_reserve(int fd, int64_t length) {
    if (length <= 0) return 0;
    int result;
    do {
        result = fallocate(fd, 0, 0, (off_t)length);
    } while (result != 0 && errno == EINTR);
    return result == 0 ? 0 : errno;
}

/* From linux/magic.h and OpenZFS; f_type is signed on some architectures. */
#define CFILE_SPACE_BTRFS_SUPER_MAGIC 0x9123683EUL
#define CFILE_SPACE_ZFS_SUPER_MAGIC 0x2FC12FC1UL

int cfile_space_is_copy_on_write(int fd) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return 0;
    unsigned long type = (unsigned long)(unsigned int)info.f_type;
    return type == CFILE_SPACE_BTRFS_SUPER_MAGIC || type == CFILE_SPACE_ZFS_SUPER_MAGIC;
}

int cfile_space_write_behind(int fd, int64_t offset, int64_t length, int drop) {
    if (length <= 0) return 0;
    unsigned int flags = drop
        ? SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
        : SYNC_FILE_RANGE_WRITE;
    int result;
    do {
        result = sync_file_range(fd, (off_t)offset, (off_t)length, flags);
    } while (result != 0 && errno == EINTR);
    if (result != 0) return errno;
    if (drop) return posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_DONTNEED);
    return 0;
}

#else

int cfile_space_write_behind(int fd, int64_t offset, int64_t length, int drop) {
    (void)fd;
    (void)offset;
    (void)length;
    (void)drop;
    return ENOSYS;
}

int cfile_space_reserve(int fd, int64_t length) {
    (void)fd;
    (void)length;
    return EOPNOTSUPP;
}

int cfile_space_is_copy_on_write(int fd) {
    (void)fd;
    return 0;
}

#endif
