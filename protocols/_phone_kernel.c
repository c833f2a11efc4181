/*
 * protocols._phone_kernel: the North American phone shapes of protocols/phone_batch.py,
 * recognized in one pass over an Arrow string column, without the GIL. Optional:
 * phone_batch.py runs the same shapes as Arrow (RE2) regexes when this module is not
 * built, and tests hold both paths equal (and both to protocols.normalize).
 *
 * Per value, after trimming spaces and tabs at both ends (Arrow's ascii_trim(" \t")):
 *   empty                                   -> KIND_EMPTY
 *   ^\+1 SEP LINE$                          -> KIND_TEN, its ten digits
 *   ^(?:1 SEP)? LINE$      (national only)  -> KIND_TEN, its ten digits
 *   ^[2-9]\d\d SEP \d{4}$  (national only)  -> KIND_SEVEN, its seven digits
 *   anything else                           -> KIND_OTHER (the reference path)
 * where SEP is [ .-]? and LINE is (?:\([2-9]\d\d\)|[2-9]\d\d) SEP \d{3} SEP \d{4}.
 * Each element is told apart by its first character (a separator, a digit, "(" or
 * "+" never stand for one another), so one forward scan decides exactly what the
 * regexes decide.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { KIND_OTHER = 0, KIND_EMPTY = 1, KIND_TEN = 2, KIND_SEVEN = 3 };

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_sep(uint8_t c) { return c == ' ' || c == '.' || c == '-'; }

typedef struct {
    const uint8_t *p, *end;
} cursor;

static void skip_sep(cursor *c) {
    if (c->p < c->end && is_sep(*c->p)) c->p++;
}

/* n digits into out; the first in [first_min, 9]. */
static int take_digits(cursor *c, int n, uint8_t first_min, uint8_t *out) {
    if (c->end - c->p < n) return 0;
    for (int i = 0; i < n; i++) {
        uint8_t d = c->p[i];
        if (!is_digit(d) || (i == 0 && d < first_min)) return 0;
        out[i] = d;
    }
    c->p += n;
    return 1;
}

/* LINE to the end of the value: ten digits into out. */
static int line(cursor *c, uint8_t *out) {
    if (c->p < c->end && *c->p == '(') {
        c->p++;
        if (!take_digits(c, 3, '2', out)) return 0;
        if (c->p >= c->end || *c->p != ')') return 0;
        c->p++;
    } else if (!take_digits(c, 3, '2', out)) {
        return 0;
    }
    skip_sep(c);
    if (!take_digits(c, 3, '0', out + 3)) return 0;
    skip_sep(c);
    if (!take_digits(c, 4, '0', out + 6)) return 0;
    return c->p == c->end;
}

static uint8_t classify(const uint8_t *p, const uint8_t *end, int national, uint8_t *out) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (p == end) return KIND_EMPTY;
    cursor c = {p, end};
    if (*p == '+') {
        if (end - p < 2 || p[1] != '1') return KIND_OTHER;
        c.p += 2;
        skip_sep(&c);
        return line(&c, out) ? KIND_TEN : KIND_OTHER;
    }
    if (!national) return KIND_OTHER;
    if (*p == '1') {
        c.p++;
        skip_sep(&c);
        return line(&c, out) ? KIND_TEN : KIND_OTHER;
    }
    cursor ten = c;
    if (line(&ten, out)) return KIND_TEN;
    /* local: [2-9]\d\d SEP \d{4} */
    if (!take_digits(&c, 3, '2', out)) return KIND_OTHER;
    skip_sep(&c);
    if (!take_digits(&c, 4, '0', out + 3)) return KIND_OTHER;
    return c.p == c.end ? KIND_SEVEN : KIND_OTHER;
}

PyDoc_STRVAR(nanpa_shapes_doc,
             "nanpa_shapes(offsets, data, start, count, national) -> (kinds, digits)\n\n"
             "For values start..start+count-1 of an Arrow string array (int32 offsets):\n"
             "kinds, one byte per value (0 other shape, 1 empty, 2 ten digits, 3 seven\n"
             "digits), and digits, ten bytes per value: the number's ASCII digits for kinds\n"
             "2 and 3 (seven of them, then zeros, for 3), zeros otherwise. national: also\n"
             "the shapes without +1. Null slots are classified like any other (the caller\n"
             "masks them). The GIL is released while scanning.");

static PyObject *py_nanpa_shapes(PyObject *self, PyObject *args) {
    Py_buffer offsets, data;
    Py_ssize_t start, count;
    int national;
    if (!PyArg_ParseTuple(args, "y*y*nnp", &offsets, &data, &start, &count, &national))
        return NULL;
    PyObject *kinds = NULL, *digits = NULL, *result = NULL;
    if (start < 0 || count < 0 || (size_t)offsets.len < (size_t)(start + count + 1) * 4) {
        PyErr_SetString(PyExc_ValueError, "offsets buffer too short for start and count");
        goto done;
    }
    const int32_t *raw = (const int32_t *)offsets.buf + start;
    int32_t lo, hi;
    memcpy(&lo, raw, 4);
    memcpy(&hi, raw + count, 4);
    if (lo < 0 || hi < lo || hi > data.len) {
        PyErr_SetString(PyExc_ValueError, "offsets point outside the data buffer");
        goto done;
    }
    kinds = PyBytes_FromStringAndSize(NULL, count);
    digits = PyBytes_FromStringAndSize(NULL, count * 10);
    if (kinds == NULL || digits == NULL) goto done;
    uint8_t *kind_out = (uint8_t *)PyBytes_AS_STRING(kinds);
    uint8_t *digit_out = (uint8_t *)PyBytes_AS_STRING(digits);
    const uint8_t *base = (const uint8_t *)data.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(digit_out, 0, (size_t)count * 10);
    int32_t begin = lo;
    for (Py_ssize_t i = 0; i < count; i++) {
        int32_t end;
        memcpy(&end, raw + i + 1, 4);
        if (end < begin || end > hi) { /* offsets must be monotonic: Arrow's own rule */
            bad = 1;
            break;
        }
        uint8_t found[10] = {0};
        uint8_t kind = classify(base + begin, base + end, national, found);
        kind_out[i] = kind;
        if (kind == KIND_TEN) memcpy(digit_out + 10 * i, found, 10);
        if (kind == KIND_SEVEN) memcpy(digit_out + 10 * i, found, 7);
        begin = end;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "offsets are not monotonic");
        goto done;
    }
    result = PyTuple_Pack(2, kinds, digits);
done:
    Py_XDECREF(kinds);
    Py_XDECREF(digits);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"nanpa_shapes", py_nanpa_shapes, METH_VARARGS, nanpa_shapes_doc}, {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_phone_kernel",
                                    "North American phone shapes over Arrow string buffers.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__phone_kernel(void) { return PyModule_Create(&module); }
