# CPython's str internals and character predicates, the code unit of each str kind and small str helpers,
# shared by the kernels that cimport them.
from libc.stdint cimport uint8_t, uint16_t, uint32_t

cdef extern from "Python.h":
    int PyUnicode_READY(object o) except -1
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    bint PyUnicode_IS_ASCII(object o)
    Py_UCS4 PyUnicode_READ(int kind, const void *data, Py_ssize_t index) nogil
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISALPHA(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISDIGIT(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISDECIMAL(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISLOWER(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISUPPER(Py_UCS4 ch) nogil

# the code units of the three str kinds (PyUnicode_1BYTE_KIND, 2BYTE, 4BYTE)
ctypedef fused char_t:
    uint8_t
    uint16_t
    uint32_t


cdef inline Py_ssize_t ready_texts(list texts, Py_ssize_t *longest) except -1:
    """Readies each str of ``texts`` (TypeError on anything else); returns their total length, the
    longest in ``longest[0]``."""
    cdef Py_ssize_t total = 0, n
    longest[0] = 0
    for s in texts:
        if not isinstance(s, str):
            raise TypeError("texts must be str")
        PyUnicode_READY(s)
        n = PyUnicode_GET_LENGTH(s)
        total += n
        if n > longest[0]:
            longest[0] = n
    return total


cdef inline void *str_data(object s, int *kind, Py_ssize_t *n) noexcept:
    """The code units of the ready str ``s``; its kind into ``kind[0]``, its length into ``n[0]``."""
    kind[0] = PyUnicode_KIND(s)
    n[0] = PyUnicode_GET_LENGTH(s)
    return PyUnicode_DATA(s)
