/* Element types shared by every module: frames read by io, frames integrated by ai, arrays
 * written by nexus and ms. One enum, so no module translates another's. */
#include "beamflow/core.h"

size_t bf_dtype_size(bf_dtype dt)
{
    switch (dt) {
    case BF_DTYPE_U8: case BF_DTYPE_I8: case BF_DTYPE_BOOL: return 1;
    case BF_DTYPE_U16: case BF_DTYPE_I16: return 2;
    case BF_DTYPE_U32: case BF_DTYPE_I32: case BF_DTYPE_F32: return 4;
    case BF_DTYPE_U64: case BF_DTYPE_I64: case BF_DTYPE_F64: case BF_DTYPE_C64: return 8;
    case BF_DTYPE_C128: return 16;
    }
    return 0;
}

const char *bf_dtype_name(bf_dtype dt)
{
    switch (dt) {
    case BF_DTYPE_U8: return "uint8";
    case BF_DTYPE_I8: return "int8";
    case BF_DTYPE_U16: return "uint16";
    case BF_DTYPE_I16: return "int16";
    case BF_DTYPE_U32: return "uint32";
    case BF_DTYPE_I32: return "int32";
    case BF_DTYPE_U64: return "uint64";
    case BF_DTYPE_I64: return "int64";
    case BF_DTYPE_F32: return "float32";
    case BF_DTYPE_F64: return "float64";
    case BF_DTYPE_BOOL: return "bool";
    case BF_DTYPE_C64: return "complex64";
    case BF_DTYPE_C128: return "complex128";
    }
    return "unknown";
}
