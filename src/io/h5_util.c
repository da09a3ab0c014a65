/* The one lock around every HDF5 call beamflow makes, HDF5 type <-> dtype mapping, and the
 * dtype / codec names. HDF5 1.10 serialises its API itself when built thread-safe (Debian's is);
 * our own mutex keeps us correct with a build that is not, costs one uncontended lock, and makes
 * fork safe (no thread can be inside HDF5 while the process forks). */
#include "io/io_internal.h"

#include <pthread.h>

#include <hdf5.h>

#include "core/error.h"

static pthread_mutex_t h5_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t h5_once = PTHREAD_ONCE_INIT;

/* A fork (the processes scheduler) while another thread is inside HDF5 would leave the child
 * with a lock nobody releases: fork waits for the lock, and both sides release it after. */
static void atfork_prepare(void) { pthread_mutex_lock(&h5_mutex); }
static void atfork_release(void) { pthread_mutex_unlock(&h5_mutex); }
static void register_atfork(void) { pthread_atfork(atfork_prepare, atfork_release, atfork_release); }

/* HDF5's automatic error printing is set per thread in a thread-safe build, so it is switched
 * off on every entry (a few instructions): the library never prints. */
void bf__h5_lock(void)
{
    pthread_once(&h5_once, register_atfork);
    pthread_mutex_lock(&h5_mutex);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void bf__h5_unlock(void) { pthread_mutex_unlock(&h5_mutex); }

void bf__h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

const char *bf_codec_name(bf_codec c)
{
    switch (c) {
    case BF_CODEC_NONE: return "none";
    case BF_CODEC_LZ4: return "lz4";
    case BF_CODEC_BITSHUFFLE_LZ4: return "bitshuffle-lz4";
    case BF_CODEC_HDF5: return "hdf5";
    case BF_CODEC_IMAGE: return "image";
    }
    return "unknown";
}

/* Caller holds the lock. */
bf_status bf__h5_dtype(int64_t type_id, bf_dtype *out, int *big_endian)
{
    hid_t t = (hid_t)type_id;
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    H5T_order_t order = H5Tget_order(t);
    *big_endian = order == H5T_ORDER_BE;
    if (cls == H5T_INTEGER) {
        int sgn = H5Tget_sign(t) == H5T_SGN_2;
        switch (size) {
        case 1: *out = sgn ? BF_DTYPE_I8 : BF_DTYPE_U8; return BF_OK;
        case 2: *out = sgn ? BF_DTYPE_I16 : BF_DTYPE_U16; return BF_OK;
        case 4: *out = sgn ? BF_DTYPE_I32 : BF_DTYPE_U32; return BF_OK;
        case 8: *out = sgn ? BF_DTYPE_I64 : BF_DTYPE_U64; return BF_OK;
        default: break;
        }
    } else if (cls == H5T_FLOAT && (size == 4 || size == 8)) {
        /* A float with a non-IEEE layout would need conversion: H5Dread handles it. */
        *out = size == 4 ? BF_DTYPE_F32 : BF_DTYPE_F64;
        return BF_OK;
    }
    return BF_EUNSUPPORTED;
}

int64_t bf__h5_native(bf_dtype dt)
{
    switch (dt) {
    case BF_DTYPE_U8: return H5T_NATIVE_UINT8;
    case BF_DTYPE_I8: return H5T_NATIVE_INT8;
    case BF_DTYPE_U16: return H5T_NATIVE_UINT16;
    case BF_DTYPE_I16: return H5T_NATIVE_INT16;
    case BF_DTYPE_U32: return H5T_NATIVE_UINT32;
    case BF_DTYPE_I32: return H5T_NATIVE_INT32;
    case BF_DTYPE_U64: return H5T_NATIVE_UINT64;
    case BF_DTYPE_I64: return H5T_NATIVE_INT64;
    case BF_DTYPE_F32: return H5T_NATIVE_FLOAT;
    case BF_DTYPE_F64: return H5T_NATIVE_DOUBLE;
    default: break; /* bool and complex are not frame types */
    }
    return -1;
}
