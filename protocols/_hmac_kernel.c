/*
 * protocols._hmac_kernel: HMAC-SHA256 of every value of an Arrow string column in one
 * pass, without the GIL. Optional: protocols/hmac_batch.py falls back to hashlib when
 * this module is not built, and tests hold both paths equal to protocols/test_vectors.json.
 *
 * Per value: the optional pre-hash (lowercase hex SHA-256 of the value, protocol v1's
 * rule for emails and phones), then HMAC-SHA256 (RFC 2104) from the key's inner and
 * outer states, computed once per call. SHA-256 (FIPS 180-4) is self-contained: the
 * x86 SHA extensions where the CPU has them (checked at run time), portable C otherwise;
 * with the extensions, values of at most 55 bytes (one SHA-256 block) are hashed two at
 * a time in lockstep (compress_shani_x2), which hides the latency of the SHA rounds.
 * No OpenSSL headers needed, so it builds wherever a C compiler and Python headers are.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_SHA 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

typedef void (*compress_fn)(uint32_t state[8], const uint8_t *data, size_t blocks);

/* ---- portable SHA-256 compression ---- */

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    for (; blocks; blocks--, data += 64) {
        for (int t = 0; t < 16; t++) w[t] = load_be32(data + 4 * t);
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                          K[t] + w[t];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

/* ---- SHA-256 compression with the x86 SHA extensions ---- */

#ifdef HAVE_X86_SHA
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    __m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);      /* CDGH */
    for (; blocks; blocks--, data += 64) {
        __m128i abef = state0, cdgh = state1, w[4];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            __m128i x;
            if (i < 4) {
                x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), bswap);
            } else { /* w[i&3] holds W(i-4), then W(i-3), W(i-2), W(i-1) */
                x = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
                x = _mm_sha256msg2_epu32(x, w[(i + 3) & 3]);
            }
            w[i & 3] = x;
            __m128i msg = _mm_add_epi32(x, _mm_loadu_si128((const __m128i *)&K[4 * i]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
            state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);        /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);     /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);  /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);     /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

/* One block each of two independent states, in lockstep: the SHA rounds of one hide
 * the latency of the other's (about 1.5-2x the blocks per second of compress_shani). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani_x2(uint32_t sa[8], const uint8_t *da, uint32_t sb[8], const uint8_t *db) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[0]), 0xB1);
    __m128i a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[4]), 0x1B);
    __m128i a0 = _mm_alignr_epi8(tmp, a1, 8);
    a1 = _mm_blend_epi16(a1, tmp, 0xF0);
    __m128i tmpb = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[0]), 0xB1);
    __m128i b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[4]), 0x1B);
    __m128i b0 = _mm_alignr_epi8(tmpb, b1, 8);
    b1 = _mm_blend_epi16(b1, tmpb, 0xF0);
    __m128i sa0 = a0, sa1 = a1, sb0 = b0, sb1 = b1, wa[4], wb[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        __m128i x, y;
        if (i < 4) {
            x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 16 * i)), bswap);
            y = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 16 * i)), bswap);
        } else {
            x = _mm_sha256msg1_epu32(wa[i & 3], wa[(i + 1) & 3]);
            y = _mm_sha256msg1_epu32(wb[i & 3], wb[(i + 1) & 3]);
            x = _mm_add_epi32(x, _mm_alignr_epi8(wa[(i + 3) & 3], wa[(i + 2) & 3], 4));
            y = _mm_add_epi32(y, _mm_alignr_epi8(wb[(i + 3) & 3], wb[(i + 2) & 3], 4));
            x = _mm_sha256msg2_epu32(x, wa[(i + 3) & 3]);
            y = _mm_sha256msg2_epu32(y, wb[(i + 3) & 3]);
        }
        wa[i & 3] = x; wb[i & 3] = y;
        __m128i k = _mm_loadu_si128((const __m128i *)&K[4 * i]);
        __m128i ma = _mm_add_epi32(x, k), mb = _mm_add_epi32(y, k);
        a1 = _mm_sha256rnds2_epu32(a1, a0, ma);
        b1 = _mm_sha256rnds2_epu32(b1, b0, mb);
        a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(ma, 0x0E));
        b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(mb, 0x0E));
    }
    a0 = _mm_add_epi32(a0, sa0); a1 = _mm_add_epi32(a1, sa1);
    b0 = _mm_add_epi32(b0, sb0); b1 = _mm_add_epi32(b1, sb1);
    tmp = _mm_shuffle_epi32(a0, 0x1B); a1 = _mm_shuffle_epi32(a1, 0xB1);
    a0 = _mm_blend_epi16(tmp, a1, 0xF0); a1 = _mm_alignr_epi8(a1, tmp, 8);
    _mm_storeu_si128((__m128i *)&sa[0], a0); _mm_storeu_si128((__m128i *)&sa[4], a1);
    tmp = _mm_shuffle_epi32(b0, 0x1B); b1 = _mm_shuffle_epi32(b1, 0xB1);
    b0 = _mm_blend_epi16(tmp, b1, 0xF0); b1 = _mm_alignr_epi8(b1, tmp, 8);
    _mm_storeu_si128((__m128i *)&sb[0], b0); _mm_storeu_si128((__m128i *)&sb[4], b1);
}
static int cpu_has_sha(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 29)) != 0; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}
#endif

/* ---- SHA-256 of a message that follows `prior` bytes already in `state` ---- */

static void sha256_finish(compress_fn compress, const uint32_t start[8], uint64_t prior,
                          const uint8_t *msg, size_t len, uint8_t out[32]) {
    uint32_t state[8];
    uint8_t tail[128];
    memcpy(state, start, sizeof state);
    size_t full = len / 64;
    if (full) compress(state, msg, full);
    size_t rest = len - 64 * full;
    memcpy(tail, msg + 64 * full, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest + 9 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, tail_len - rest - 1);
    uint64_t bits = (prior + (uint64_t)len) * 8;
    for (int i = 0; i < 8; i++) tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(state, tail, tail_len / 64);
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, state[i]);
}

typedef struct {
    compress_fn compress;
    uint32_t inner[8];
    uint32_t outer[8];
} hmac_key;

static void hmac_key_init(hmac_key *k, compress_fn compress, const uint8_t *key, size_t len) {
    uint8_t block[64] = {0}, pad[64];
    k->compress = compress;
    if (len > 64) {
        sha256_finish(compress, IV, 0, key, len, block);
    } else {
        memcpy(block, key, len);
    }
    memcpy(k->inner, IV, sizeof IV);
    memcpy(k->outer, IV, sizeof IV);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    compress(k->inner, pad, 1);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    compress(k->outer, pad, 1);
}

static void hmac_one(const hmac_key *k, const uint8_t *msg, size_t len, int prehash,
                     uint8_t out[32]) {
    static const char hexdigits[] = "0123456789abcdef";
    uint8_t digest[32], hex[64];
    if (prehash) {
        sha256_finish(k->compress, IV, 0, msg, len, digest);
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = (uint8_t)hexdigits[digest[i] >> 4];
            hex[2 * i + 1] = (uint8_t)hexdigits[digest[i] & 15];
        }
        msg = hex;
        len = sizeof hex;
    }
    sha256_finish(k->compress, k->inner, 64, msg, len, digest);
    sha256_finish(k->compress, k->outer, 64, digest, 32, out);
}


/* ---- two short messages at once (x86 SHA extensions only) ---- */

#ifdef HAVE_X86_SHA
/* The longest message whose SHA-256 padding fits in its last block with `prior` = 0. */
#define ONE_BLOCK_MAX 55

/* `msg` (at most ONE_BLOCK_MAX bytes after `prior` bytes) padded into one final block. */
static void final_block(uint8_t block[64], const uint8_t *msg, size_t len, uint64_t prior) {
    if (len) memcpy(block, msg, len);
    block[len] = 0x80;
    memset(block + len + 1, 0, 64 - len - 1);
    uint64_t bits = (prior + (uint64_t)len) * 8;
    for (int i = 0; i < 8; i++) block[63 - i] = (uint8_t)(bits >> (8 * i));
}

static void digest_of(const uint32_t state[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, state[i]);
}

static void to_hex(const uint8_t digest[32], uint8_t hex[64]) {
    static const char hexdigits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = (uint8_t)hexdigits[digest[i] >> 4];
        hex[2 * i + 1] = (uint8_t)hexdigits[digest[i] & 15];
    }
}

/* hmac_one of two messages of at most ONE_BLOCK_MAX bytes each, lane by lane. */
static void hmac_two(const hmac_key *k, const uint8_t *msg_a, size_t len_a,
                     const uint8_t *msg_b, size_t len_b, int prehash, uint8_t out_a[32],
                     uint8_t out_b[32]) {
    uint32_t a[8], b[8];
    uint8_t block_a[64], block_b[64], digest[32];
    if (prehash) {
        memcpy(a, IV, sizeof a);
        memcpy(b, IV, sizeof b);
        final_block(block_a, msg_a, len_a, 0);
        final_block(block_b, msg_b, len_b, 0);
        compress_shani_x2(a, block_a, b, block_b);
        digest_of(a, digest);
        to_hex(digest, block_a); /* the 64 hex digits: the inner hash's first block */
        digest_of(b, digest);
        to_hex(digest, block_b);
        memcpy(a, k->inner, sizeof a);
        memcpy(b, k->inner, sizeof b);
        compress_shani_x2(a, block_a, b, block_b);
        final_block(block_a, NULL, 0, 128); /* padding only: 64 key + 64 message bytes */
        compress_shani_x2(a, block_a, b, block_a);
    } else {
        memcpy(a, k->inner, sizeof a);
        memcpy(b, k->inner, sizeof b);
        final_block(block_a, msg_a, len_a, 64);
        final_block(block_b, msg_b, len_b, 64);
        compress_shani_x2(a, block_a, b, block_b);
    }
    digest_of(a, digest);
    final_block(block_a, digest, 32, 64);
    digest_of(b, digest);
    final_block(block_b, digest, 32, 64);
    memcpy(a, k->outer, sizeof a);
    memcpy(b, k->outer, sizeof b);
    compress_shani_x2(a, block_a, b, block_b);
    digest_of(a, out_a);
    digest_of(b, out_b);
}
#endif

/* ---- Python binding ---- */

static compress_fn best_compress = compress_portable;
static const char *best_name = "portable";

PyDoc_STRVAR(hmac_many_doc,
             "hmac_many(key, offsets, data, start, count, wide_offsets, prehash, accelerated=True)"
             " -> bytes\n\n"
             "Concatenated HMAC-SHA256(key, m) of values start..start+count-1 of an Arrow\n"
             "string or binary array given by its offsets buffer (int32, or int64 if\n"
             "wide_offsets) and data buffer. m is the value, or with prehash the lowercase\n"
             "hex SHA-256 of the value. Null slots must have been filtered out. The GIL is\n"
             "released while hashing. accelerated=False forces the portable C SHA-256.");

static PyObject *py_hmac_many(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"key",          "offsets", "data",        "start", "count",
                             "wide_offsets", "prehash", "accelerated", NULL};
    Py_buffer key, offsets, data;
    Py_ssize_t start, count;
    int wide, prehash, accelerated = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*y*y*nnpp|p", kwlist, &key, &offsets,
                                     &data, &start, &count, &wide, &prehash, &accelerated))
        return NULL;
    PyObject *result = NULL;
    size_t width = wide ? 8 : 4;
    if (start < 0 || count < 0 || (size_t)offsets.len < (size_t)(start + count + 1) * width) {
        PyErr_SetString(PyExc_ValueError, "offsets buffer too short for start and count");
        goto done;
    }
    const uint8_t *base = (const uint8_t *)data.buf;
    const uint8_t *raw = (const uint8_t *)offsets.buf + (size_t)start * width;
    int64_t lo, hi;
    if (wide) {
        memcpy(&lo, raw, 8);
        memcpy(&hi, raw + 8 * (size_t)count, 8);
    } else {
        int32_t l32, h32;
        memcpy(&l32, raw, 4);
        memcpy(&h32, raw + 4 * (size_t)count, 4);
        lo = l32;
        hi = h32;
    }
    if (lo < 0 || hi < lo || hi > (int64_t)data.len) {
        PyErr_SetString(PyExc_ValueError, "offsets point outside the data buffer");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * 32);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    hmac_key k;
    hmac_key_init(&k, accelerated ? best_compress : compress_portable, key.buf, (size_t)key.len);
    int bad = 0;
    int pairs = 0;
#ifdef HAVE_X86_SHA
    pairs = k.compress == compress_shani;
#endif
    Py_BEGIN_ALLOW_THREADS
    int64_t begin = lo;
    /* A short value waiting for a second one, to be hashed as a pair (-1: none). */
    Py_ssize_t held = -1;
    int64_t held_begin = 0, held_len = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t end;
        if (wide) {
            memcpy(&end, raw + 8 * (size_t)(i + 1), 8);
        } else {
            int32_t e32;
            memcpy(&e32, raw + 4 * (size_t)(i + 1), 4);
            end = e32;
        }
        if (end < begin || end > hi) { /* offsets must be monotonic: Arrow's own rule */
            bad = 1;
            break;
        }
        int64_t len = end - begin;
#ifdef HAVE_X86_SHA
        if (pairs && len <= ONE_BLOCK_MAX) {
            if (held < 0) {
                held = i;
                held_begin = begin;
                held_len = len;
            } else {
                hmac_two(&k, base + held_begin, (size_t)held_len, base + begin, (size_t)len,
                         prehash, out + 32 * held, out + 32 * i);
                held = -1;
            }
            begin = end;
            continue;
        }
#endif
        hmac_one(&k, base + begin, (size_t)len, prehash, out + 32 * i);
        begin = end;
    }
    if (!bad && held >= 0)
        hmac_one(&k, base + held_begin, (size_t)held_len, prehash, out + 32 * held);
    Py_END_ALLOW_THREADS
    if (bad) {
        Py_CLEAR(result);
        PyErr_SetString(PyExc_ValueError, "offsets are not monotonic");
    }
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"hmac_many", (PyCFunction)(void (*)(void))py_hmac_many, METH_VARARGS | METH_KEYWORDS,
     hmac_many_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hmac_kernel",
                                    "Batch HMAC-SHA256 over Arrow string buffers.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__hmac_kernel(void) {
#ifdef HAVE_X86_SHA
    if (cpu_has_sha()) {
        best_compress = compress_shani;
        best_name = "x86 SHA extensions";
    }
#endif
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddStringConstant(m, "SHA256_IMPLEMENTATION", best_name) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
