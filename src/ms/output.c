/* Writing the outputs a job asks for: .npy arrays (exit waves complex64 (config, x, y) or (x, y),
 * intensity, CTF image, diffraction pattern) and pictures (float32 TIFF, 8-bit PNG) of the image
 * (the CTF image when the job has a ctf section, else the intensity). Every file is written under
 * a temporary name and committed whole (bf_file_commit). Pictures have rows along x (the array's
 * first axis), as the arrays are laid out. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "ms/job_internal.h"
#include "ms/ms_result.h"

bf_status bf__ms_write_tiff(const char *path, const float *data, size_t nx, size_t ny)
{
    char tmp[4096];
    bf_file_temp_name(path, tmp, sizeof tmp);
    TIFF *t = TIFFOpen(tmp, "w");
    if (!t)
        return bf__error_set(BF_EIO, "%s: cannot open for writing", tmp);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)ny);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)nx);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 32);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)nx);
    int ok = 1;
    for (size_t r = 0; r < nx && ok; r++)
        ok = TIFFWriteScanline(t, (void *)(data + r * ny), (uint32_t)r, 0) >= 0;
    TIFFClose(t);
    if (!ok) {
        remove(tmp);
        return bf__error_set(BF_EIO, "%s: TIFF write failed", path);
    }
    return bf_file_commit(tmp, path);
}

bf_status bf__ms_write_png(const char *path, const float *data, size_t nx, size_t ny)
{
    char tmp[4096];
    bf_file_temp_name(path, tmp, sizeof tmp);
    unsigned char *row = malloc(ny ? ny : 1);
    if (!row)
        return bf__error_set(BF_ENOMEM, "out of memory");
    float lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < nx * ny; k++) {
        lo = fminf(lo, data[k]);
        hi = fmaxf(hi, data[k]);
    }
    float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(row);
        return bf__error_errno(BF_EIO, errno, "%s: cannot open for writing", tmp);
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        free(row);
        remove(tmp);
        return bf__error_set(BF_EIO, "%s: PNG write failed", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)ny, (png_uint_32)nx, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t r = 0; r < nx; r++) {
        for (size_t c = 0; c < ny; c++)
            row[c] = (unsigned char)lrintf((data[r * ny + c] - lo) * scale);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0) {
        remove(tmp);
        return bf__error_set(BF_EIO, "%s: PNG write failed", path);
    }
    return bf_file_commit(tmp, path);
}

/* path with its extension replaced by ext (".png") */
static char *with_ext(const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t n = (dot && (!slash || dot > slash)) ? (size_t)(dot - path) : strlen(path);
    char *p = malloc(n + strlen(ext) + 1);
    if (p) {
        memcpy(p, path, n);
        strcpy(p + n, ext);
    }
    return p;
}

static bf_status write_pictures(const bf_ms_job *j, const bf_ms_result *r)
{
    const char *base = j->out[0] ? j->out[0] : j->out[2] ? j->out[2] : j->out[1];
    if (!base)
        return bf__error_set(BF_EINVAL, "%s: output.images needs output.file, intensity or "
                             "exit_wave to name the pictures", j->name);
    const float *img = r->image ? r->image : r->mean_intensity;
    bf_status st = BF_OK;
    const char *exts[2] = {".png", ".tiff"};
    int want[2] = {j->png, j->tiff};
    for (int k = 0; k < 2 && !st; k++) {
        if (!want[k])
            continue;
        char *p = with_ext(base, exts[k]);
        if (!p)
            return bf__error_set(BF_ENOMEM, "out of memory");
        st = k ? bf__ms_write_tiff(p, img, (size_t)r->gpts[0], (size_t)r->gpts[1])
               : bf__ms_write_png(p, img, (size_t)r->gpts[0], (size_t)r->gpts[1]);
        free(p);
    }
    return st;
}

bf_status bf_ms_result_write(const bf_ms_job *j, const bf_ms_result *r)
{
    bf_status st = BF_OK;
    size_t nx = (size_t)r->gpts[0], ny = (size_t)r->gpts[1];
    size_t s3[3] = {r->configs, nx, ny}, s2[2] = {nx, ny};
    int one = r->configs == 1;
    if (j->out[0] && (st = bf__ms_write_nexus(j, r, j->out[0])))
        return st;
    if (j->out[1] && (st = bf__ms_npy_write(j->out[1], "<c8", one ? 2 : 3, one ? s2 : s3, r->exit)))
        return st;
    if (j->out[2]) {
        int ens = j->keep_ensemble && !one;
        if (ens && !r->intensity)
            return bf__error_set(BF_EINVAL, "%s: these results were simulated without the "
                                 "ensemble's intensities", j->name);
        st = bf__ms_npy_write(j->out[2], "<f4", ens ? 3 : 2, ens ? s3 : s2,
                              ens ? r->intensity : r->mean_intensity);
        if (st)
            return st;
    }
    if (j->out[4]) {
        size_t d[2] = {r->dshape[0], r->dshape[1]};
        if ((st = bf__ms_npy_write(j->out[4], "<f4", 2, d, r->diffraction)))
            return st;
    }
    if (j->out[5]) {
        if (!r->image)
            return bf__error_set(BF_EINVAL, "%s: output.image needs a ctf section", j->name);
        if ((st = bf__ms_npy_write(j->out[5], "<f4", 2, s2, r->image)))
            return st;
    }
    if (j->out[3] && (st = bf_ms_write_potential(j, j->out[3])))
        return st;
    if (j->png || j->tiff)
        st = write_pictures(j, r);
    return st;
}
