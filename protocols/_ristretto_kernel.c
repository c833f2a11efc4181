/*
 * protocols._ristretto_kernel: the batch loops of protocol v2 in C, one call per batch
 * and without the GIL. Optional: protocols/ristretto_native.py runs the same loops in
 * Python over ctypes when this module is not built, and tests hold both (and rbcl's
 * public functions) to protocols/test_vectors.json and to each other.
 *
 * It links nothing: libsodium is the copy rbcl loaded (rbcl writes its bundled library
 * to a temporary file and opens it with ctypes, so there is nothing to link against at
 * build time). The caller hands over the addresses of the five libsodium functions it
 * uses, read from rbcl's ctypes handle, once (set_functions); the loops then call them
 * directly. Per value:
 *
 *     point   = crypto_core_ristretto255_from_hash(SHA-512(prefix | value))
 *     blinded = crypto_scalarmult_ristretto255(secret, point)
 *
 * SHA-512 is libsodium's (crypto_hash_sha512_init/update/final): the prefix is hashed
 * once per call and its state copied per value. crypto_scalarmult_ristretto255 returns
 * -1 for an input that is not a canonical encoding and for an identity result (the
 * libsodium source, crypto_scalarmult/ristretto255/ref10), so one call checks and
 * multiplies; a refused point stops the loop and its index is returned.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define POINT_BYTES 32
#define SCALAR_BYTES 32
#define HASH_BYTES 64
/* libsodium's crypto_hash_sha512_state is 208 bytes; the caller checks statebytes(). */
#define SHA512_STATE_MAX 256

typedef int (*scalarmult_fn)(unsigned char *q, const unsigned char *n, const unsigned char *p);
typedef int (*from_hash_fn)(unsigned char *p, const unsigned char *r);
typedef int (*sha512_init_fn)(void *state);
typedef int (*sha512_update_fn)(void *state, const unsigned char *in, unsigned long long len);
typedef int (*sha512_final_fn)(void *state, unsigned char *out);
typedef int (*is_valid_fn)(const unsigned char *p);

static scalarmult_fn scalarmult = NULL;
static from_hash_fn from_hash = NULL;
static sha512_init_fn sha512_init = NULL;
static sha512_update_fn sha512_update = NULL;
static sha512_final_fn sha512_final = NULL;
static is_valid_fn is_valid_point = NULL;

typedef struct {
    _Alignas(16) unsigned char bytes[SHA512_STATE_MAX];
} sha512_state;

static PyObject *set_functions(PyObject *self, PyObject *args) {
    unsigned long long mult, hash, init, update, final, valid;
    if (!PyArg_ParseTuple(args, "KKKKKK", &mult, &hash, &init, &update, &final, &valid))
        return NULL;
    if (!mult || !hash || !init || !update || !final || !valid) {
        PyErr_SetString(PyExc_ValueError, "every libsodium function address is non-zero");
        return NULL;
    }
    scalarmult = (scalarmult_fn)(uintptr_t)mult;
    from_hash = (from_hash_fn)(uintptr_t)hash;
    sha512_init = (sha512_init_fn)(uintptr_t)init;
    sha512_update = (sha512_update_fn)(uintptr_t)update;
    sha512_final = (sha512_final_fn)(uintptr_t)final;
    is_valid_point = (is_valid_fn)(uintptr_t)valid;
    Py_RETURN_NONE;
}

static int ready(void) {
    if (scalarmult == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "set_functions was not called");
        return 0;
    }
    return 1;
}

/* Returns (bytes, -1) or (b"", index of the first refused point). */
static PyObject *result(PyObject *out, Py_ssize_t bad) {
    if (bad >= 0) {
        Py_DECREF(out);
        return Py_BuildValue("(y#n)", "", (Py_ssize_t)0, bad);
    }
    return Py_BuildValue("(Nn)", out, (Py_ssize_t)-1);
}

/* blind(secret, points) -> (secret * p for every point, concatenated, -1) */
static PyObject *blind(PyObject *self, PyObject *args) {
    Py_buffer secret, points;
    if (!ready()) return NULL;
    if (!PyArg_ParseTuple(args, "y*y*", &secret, &points)) return NULL;
    PyObject *out = NULL;
    Py_ssize_t bad = -1;
    if (secret.len != SCALAR_BYTES || points.len % POINT_BYTES) {
        PyErr_SetString(PyExc_ValueError, "a 32-byte scalar and whole 32-byte points");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, points.len);
    if (out == NULL) goto done;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    const unsigned char *src = points.buf, *n = secret.buf;
    Py_ssize_t count = points.len / POINT_BYTES;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        if (scalarmult(dst + i * POINT_BYTES, n, src + i * POINT_BYTES) != 0) {
            bad = i;
            break;
        }
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&secret);
    PyBuffer_Release(&points);
    return out == NULL ? NULL : result(out, bad);
}

/* check(points) -> (index, reason) of the first bad point, reason 1 for the identity
 * (all zero: crypto_core_ristretto255_is_valid_point accepts it) and 2 for an invalid
 * encoding; (-1, 0) when every point is good. The server's check of what arrives. */
static PyObject *check(PyObject *self, PyObject *args) {
    static const unsigned char zero[POINT_BYTES] = {0};
    Py_buffer points;
    if (!ready()) return NULL;
    if (!PyArg_ParseTuple(args, "y*", &points)) return NULL;
    if (points.len % POINT_BYTES) {
        PyBuffer_Release(&points);
        PyErr_SetString(PyExc_ValueError, "whole 32-byte points");
        return NULL;
    }
    const unsigned char *src = points.buf;
    Py_ssize_t count = points.len / POINT_BYTES, bad = -1;
    int reason = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        const unsigned char *point = src + i * POINT_BYTES;
        if (memcmp(point, zero, POINT_BYTES) == 0) reason = 1;
        else if (is_valid_point(point) != 1) reason = 2;
        if (reason) {
            bad = i;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&points);
    return Py_BuildValue("(ni)", bad, reason);
}

/* The value at ``index`` of an Arrow binary array: int32 (binary) or int64
 * (large_binary) offsets. */
static void value_at(const unsigned char *offsets, int wide, Py_ssize_t index,
                     Py_ssize_t *start, Py_ssize_t *end) {
    if (wide) {
        const int64_t *o = (const int64_t *)offsets;
        *start = (Py_ssize_t)o[index];
        *end = (Py_ssize_t)o[index + 1];
    } else {
        const int32_t *o = (const int32_t *)offsets;
        *start = (Py_ssize_t)o[index];
        *end = (Py_ssize_t)o[index + 1];
    }
}

/* Checks that offsets[first .. first + count] lie inside ``data`` and do not decrease,
 * so the loop without the GIL cannot read out of bounds. */
static int offsets_in_bounds(const Py_buffer *offsets, const Py_buffer *data, int wide,
                             Py_ssize_t first, Py_ssize_t count) {
    Py_ssize_t width = wide ? 8 : 4;
    if (first < 0 || count < 0 || (first + count + 1) * width > offsets->len) return 0;
    Py_ssize_t previous = 0;
    for (Py_ssize_t i = 0; i <= count; i++) {
        Py_ssize_t start, end;
        value_at(offsets->buf, wide, first + i, &start, &end);
        if (start < previous || start > data->len) return 0;
        previous = start;
    }
    return 1;
}

/* hash_and_blind(prefix, secret or None, offsets, data, wide, first, count)
 *   -> (points, -1) or (b"", index): the values first .. first + count of an Arrow
 *   binary array given by its offsets and data buffers. With secret None, the
 *   unblinded points (from_hash only). */
static PyObject *hash_and_blind(PyObject *self, PyObject *args) {
    Py_buffer prefix, offsets, data;
    PyObject *secret_object;
    int wide;
    Py_ssize_t first, count;
    if (!ready()) return NULL;
    if (!PyArg_ParseTuple(args, "y*Oy*y*pnn", &prefix, &secret_object, &offsets, &data, &wide,
                          &first, &count))
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t bad = -1;
    const unsigned char *n = NULL;
    if (secret_object != Py_None) {
        if (!PyBytes_Check(secret_object) || PyBytes_GET_SIZE(secret_object) != SCALAR_BYTES) {
            PyErr_SetString(PyExc_ValueError, "the secret is 32 bytes or None");
            goto done;
        }
        n = (const unsigned char *)PyBytes_AS_STRING(secret_object);
    }
    if (!offsets_in_bounds(&offsets, &data, wide, first, count)) {
        PyErr_SetString(PyExc_ValueError, "the offsets do not fit the data buffer");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, count * POINT_BYTES);
    if (out == NULL) goto done;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    const unsigned char *bytes = data.buf;
    Py_BEGIN_ALLOW_THREADS
    sha512_state base, state;
    unsigned char digest[HASH_BYTES], point[POINT_BYTES];
    sha512_init(base.bytes);
    sha512_update(base.bytes, prefix.buf, (unsigned long long)prefix.len);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t start, end;
        value_at(offsets.buf, wide, first + i, &start, &end);
        memcpy(&state, &base, sizeof state);
        sha512_update(state.bytes, bytes + start, (unsigned long long)(end - start));
        sha512_final(state.bytes, digest);
        if (n == NULL) {
            from_hash(dst + i * POINT_BYTES, digest);
            continue;
        }
        from_hash(point, digest);
        if (scalarmult(dst + i * POINT_BYTES, n, point) != 0) {
            bad = i;
            break;
        }
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return out == NULL ? NULL : result(out, bad);
}

static PyMethodDef methods[] = {
    {"set_functions", set_functions, METH_VARARGS,
     "set_functions(scalarmult, from_hash, sha512_init, sha512_update, sha512_final, "
     "is_valid_point): "
     "the addresses of libsodium's functions (from rbcl's ctypes handle)."},
    {"blind", blind, METH_VARARGS,
     "blind(secret, points) -> (bytes, -1) or (b'', index of the first refused point)."},
    {"check", check, METH_VARARGS,
     "check(points) -> (index, 1 identity | 2 invalid) of the first bad point, or (-1, 0)."},
    {"hash_and_blind", hash_and_blind, METH_VARARGS,
     "hash_and_blind(prefix, secret | None, offsets, data, wide, first, count) -> "
     "(bytes, -1) or (b'', index)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ristretto_kernel",
                                    "protocol v2 batch loops over rbcl's libsodium", -1,
                                    methods};

PyMODINIT_FUNC PyInit__ristretto_kernel(void) { return PyModule_Create(&module); }
