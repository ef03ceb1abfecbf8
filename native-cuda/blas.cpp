#include "blas.h"
#include <dlfcn.h>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace handover {

Blas blas{};
static std::string last_error;

template <typename F>
static bool sym(void* lib, const char* name, F& fn) {
  void* p = dlsym(lib, name);
  if (!p) return false;
  fn = reinterpret_cast<F>(p);
  return true;
}

const char* load_blas() {
  if (blas.cublasSgemm_v2) return nullptr;
  const char* env = std::getenv("HANDOVER_CUBLAS");
  const char* names[] = {env, "libcublas.so.13", "libcublas.so", "/usr/local/cuda/lib64/libcublas.so.13",
                         "/usr/local/cuda/lib64/libcublas.so"};
  void* lib = nullptr;
  last_error = "dlopen(libcublas.so.13): ";
  for (const char* n : names) {
    if (!n) continue;
    lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
    if (lib) break;
    const char* e = dlerror();
    last_error += e ? e : n;
    last_error += "; ";
  }
  if (!lib) return last_error.c_str();
#define SYM(name)                                      \
  if (!sym(lib, #name, blas.name)) {                   \
    last_error = "dlsym(" #name ") in cuBLAS failed";  \
    return last_error.c_str();                         \
  }
  SYM(cublasCreate_v2)
  SYM(cublasDestroy_v2)
  SYM(cublasSetStream_v2)
  SYM(cublasSetWorkspace_v2)
  SYM(cublasGetStatusString)
  SYM(cublasSgemm_v2)
  SYM(cublasSgemmStridedBatched)
#undef SYM
  return nullptr;
}

const char* blas_status_string(int status) {
  return blas.cublasGetStatusString ? blas.cublasGetStatusString(status) : "cuBLAS error";
}

}  // namespace handover
