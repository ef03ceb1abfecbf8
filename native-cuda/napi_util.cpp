#include "napi_util.h"
#include "errors.h"
#include <cstdio>

namespace handover {

static void fail(Args& a, const char* what, size_t i) {
  if (!a.ok) return;
  a.ok = false;
  char msg[96];
  snprintf(msg, sizeof msg, "argument %zu: expected %s", i, what);
  throw_usage(a.env, "argument check", __FILE__, __LINE__, msg);
}

Args::Args(napi_env e, napi_callback_info info, size_t want) : env(e) {
  if (napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    ok = false;
    throw_usage(e, "napi_get_cb_info", __FILE__, __LINE__, "too few arguments");
  }
}

uint64_t Args::u64(size_t i) {
  if (!ok) return 0;
  napi_valuetype t;
  napi_typeof(env, argv[i], &t);
  if (t == napi_bigint) {
    uint64_t v = 0;
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, argv[i], &v, &lossless) == napi_ok && lossless) return v;
  } else if (t == napi_number) {
    double d = 0;
    if (napi_get_value_double(env, argv[i], &d) == napi_ok && d >= 0 && d <= 9007199254740991.0 &&
        d == (double)(uint64_t)d)
      return (uint64_t)d;
  }
  fail(*this, "a non-negative integer (BigInt or Number)", i);
  return 0;
}

double Args::num(size_t i) {
  double d = 0;
  if (ok && napi_get_value_double(env, argv[i], &d) != napi_ok) fail(*this, "a number", i);
  return d;
}

bool Args::flag(size_t i) {
  bool b = false;
  if (ok && napi_get_value_bool(env, argv[i], &b) != napi_ok) fail(*this, "a boolean", i);
  return b;
}

void* Args::bytes(size_t i, size_t* length) {
  *length = 0;
  if (!ok) return nullptr;
  napi_valuetype t;
  napi_typeof(env, argv[i], &t);
  if (t == napi_undefined || t == napi_null) return nullptr;
  bool is = false;
  void* data = nullptr;
  if (napi_is_arraybuffer(env, argv[i], &is) == napi_ok && is) {
    napi_get_arraybuffer_info(env, argv[i], &data, length);
    return data;
  }
  if (napi_is_typedarray(env, argv[i], &is) == napi_ok && is) {
    napi_typedarray_type tt;
    size_t n = 0, off = 0;
    napi_value ab;
    napi_get_typedarray_info(env, argv[i], &tt, &n, &data, &ab, &off);
    size_t elem = (tt == napi_bigint64_array || tt == napi_biguint64_array || tt == napi_float64_array) ? 8
                  : (tt == napi_int8_array || tt == napi_uint8_array || tt == napi_uint8_clamped_array) ? 1
                  : (tt == napi_int16_array || tt == napi_uint16_array) ? 2 : 4;
    *length = n * elem;
    return data;
  }
  fail(*this, "an ArrayBuffer or typed array", i);
  return nullptr;
}

const char* Args::str(size_t i, char* buf, size_t cap) {
  size_t n = 0;
  if (ok && napi_get_value_string_utf8(env, argv[i], buf, cap, &n) != napi_ok) fail(*this, "a string", i);
  return buf;
}

napi_value big(napi_env env, uint64_t v) {
  napi_value r = nullptr;
  napi_create_bigint_uint64(env, v, &r);
  return r;
}
napi_value number(napi_env env, double v) {
  napi_value r = nullptr;
  napi_create_double(env, v, &r);
  return r;
}
napi_value boolean(napi_env env, bool v) {
  napi_value r = nullptr;
  napi_get_boolean(env, v, &r);
  return r;
}
napi_value undefined(napi_env env) {
  napi_value r = nullptr;
  napi_get_undefined(env, &r);
  return r;
}

}  // namespace handover
