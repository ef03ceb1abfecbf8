// Small Node-API helpers: argument reading that throws a usage error on misuse.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>

namespace handover {

struct Args {
  napi_env env;
  size_t argc = 12;
  napi_value argv[12];
  bool ok = true;
  Args(napi_env e, napi_callback_info info, size_t want);
  uint64_t u64(size_t i);      // a BigInt (pointers, handles) or a safe-integer Number
  double num(size_t i);        // a Number
  bool flag(size_t i);         // a Boolean
  // Bytes of an ArrayBuffer or a typed array / DataView (null + 0 for undefined).
  void* bytes(size_t i, size_t* length);
  const char* str(size_t i, char* buf, size_t cap);
};

napi_value big(napi_env env, uint64_t v);
napi_value number(napi_env env, double v);
napi_value boolean(napi_env env, bool v);
napi_value undefined(napi_env env);

}  // namespace handover
