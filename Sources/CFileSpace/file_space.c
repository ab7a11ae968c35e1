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

#else

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
