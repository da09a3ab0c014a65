/* Files that appear whole: write under a temporary name beside the target, then fsync and rename.
 * rename() is atomic within one filesystem, so a reader (or a resumed job) sees either the old
 * file or the complete new one, never a torn one. */
#include "core/error.h"
#include "beamflow/core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void bf_file_temp_name(const char *path, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s.tmp-%ld", path, (long)getpid());
}

static bf_status fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return bf__error_errno(BF_EIO, errno, "%s: cannot open to sync", path);
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    /* Some filesystems refuse fsync on directories; the rename is still atomic there. */
    if (rc != 0 && err != EINVAL && err != EROFS)
        return bf__error_errno(BF_EIO, err, "%s: fsync failed", path);
    return BF_OK;
}

bf_status bf_file_commit(const char *tmp, const char *path)
{
    bf_status st = fsync_path(tmp, O_RDONLY);
    if (st)
        return st;
    if (rename(tmp, path) != 0)
        return bf__error_errno(BF_EIO, errno, "cannot rename %s to %s", tmp, path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    return fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY);
}
