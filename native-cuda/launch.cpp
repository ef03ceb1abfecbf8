// Kernel launches from the table, and GEMM through cuBLAS. Row-major
// C[m,n] = alpha op(A) op(B) + beta C is, read column-major, C^T = op(B)^T op(A)^T:
// cuBLAS gets the operands swapped and (n, m) for its (m, n).
#include <cuda_runtime_api.h>
#include <cstdint>
#include <cstring>
#include "blas.h"
#include "errors.h"
#include "kernels.h"
#include "napi_util.h"

namespace handover {

struct Family {
  const KernelEntry* entries;
  const int* count;
};
static const Family families[] = {
    {elementwise_kernels, &elementwise_count},
    {softmax_xent_kernels, &softmax_xent_count},
    {reduce_rows_kernels, &reduce_rows_count},
    {optimizer_kernels, &optimizer_count},
    {infer_tensor_kernels, &infer_tensor_count},
    {infer_nn_kernels, &infer_nn_count},
    {gpt_nn_kernels, &gpt_nn_count},
    {gpt_loss_kernels, &gpt_loss_count},
    {gpt_optim_kernels, &gpt_optim_count},
    {gpt_attention_kernels, &gpt_attention_count},
    {gpt_attention_rows_kernels, &gpt_attention_rows_count},
    {llm_kernels, &llm_count},
};

static const KernelEntry* entry_at(unsigned index) {
  for (const Family& f : families) {
    if (index < (unsigned)*f.count) return &f.entries[index];
    index -= *f.count;
  }
  return nullptr;
}

// kernels() -> [{ name, bindings, paramBytes }] in index order
napi_value kernel_list(napi_env env, napi_callback_info) {
  napi_value arr;
  NAPI_CHECK(env, napi_create_array(env, &arr));
  unsigned i = 0;
  for (const KernelEntry* e; (e = entry_at(i)); i++) {
    napi_value o, name;
    NAPI_CHECK(env, napi_create_object(env, &o));
    NAPI_CHECK(env, napi_create_string_utf8(env, e->name, NAPI_AUTO_LENGTH, &name));
    napi_set_named_property(env, o, "name", name);
    napi_set_named_property(env, o, "bindings", number(env, e->bindings));
    napi_set_named_property(env, o, "paramBytes", number(env, (double)e->paramBytes));
    napi_set_element(env, arr, i, o);
  }
  return arr;
}

// prepare(index): loads the kernel's module now (CUDA loads modules lazily).
napi_value kernel_prepare(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  unsigned index = (unsigned)a.num(0);
  if (!a.ok) return nullptr;
  const KernelEntry* e = entry_at(index);
  USAGE_CHECK(env, e, "no kernel with that index");
  cudaFuncAttributes attr{};
  RT_CHECK(env, cudaFuncGetAttributes(&attr, e->func));
  return undefined(env);
}

// launch(index, bindings BigUint64Array, params ArrayBuffer, tx, ty, tz, stream)
napi_value kernel_launch(napi_env env, napi_callback_info info) {
  Args a(env, info, 7);
  unsigned index = (unsigned)a.num(0);
  size_t ptrBytes = 0, paramBytes = 0;
  void* const* ptrs = (void* const*)a.bytes(1, &ptrBytes);
  const void* params = a.bytes(2, &paramBytes);
  unsigned threads[3] = {(unsigned)a.num(3), (unsigned)a.num(4), (unsigned)a.num(5)};
  cudaStream_t s = (cudaStream_t)a.u64(6);
  if (!a.ok) return nullptr;
  const KernelEntry* e = entry_at(index);
  USAGE_CHECK(env, e, "no kernel with that index");
  USAGE_CHECK(env, ptrBytes == (size_t)e->bindings * sizeof(void*), "wrong number of bindings for this kernel");
  USAGE_CHECK(env, params && paramBytes >= e->paramBytes, "params shorter than the kernel's Params struct");
  RT_CHECK(env, e->launch(ptrs, params, threads, s));
  return undefined(env);
}

// blasCreate(stream) -> handle bound to that stream
napi_value blas_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaStream_t s = (cudaStream_t)a.u64(0);
  if (!a.ok) return nullptr;
  const char* why = load_blas();
  if (why) return throw_failure(env, "cublas", "dlopen(cuBLAS)", __FILE__, __LINE__, "ENOENT", why);
  cublasHandle_t h = nullptr;
  BLAS_CHECK(env, blas.cublasCreate_v2(&h));
  BLAS_CHECK(env, blas.cublasSetStream_v2(h, s));
  return big(env, (uint64_t)h);
}

// blasSetWorkspace(handle, ptr, bytes): cuBLAS uses this device memory instead of its own pool.
napi_value blas_set_workspace(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  cublasHandle_t h = (cublasHandle_t)a.u64(0);
  void* p = (void*)a.u64(1);
  size_t bytes = a.u64(2);
  if (!a.ok) return nullptr;
  BLAS_CHECK(env, blas.cublasSetWorkspace_v2(h, p, bytes));
  return undefined(env);
}

napi_value blas_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cublasHandle_t h = (cublasHandle_t)a.u64(0);
  if (!a.ok) return nullptr;
  BLAS_CHECK(env, blas.cublasDestroy_v2(h));
  return undefined(env);
}

// gemm(handle, a, b, c, m, n, k, transA, transB, alpha, beta): row-major f32, on the handle's stream.
napi_value gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, 11);
  cublasHandle_t h = (cublasHandle_t)a.u64(0);
  const float* A = (const float*)a.u64(1);
  const float* B = (const float*)a.u64(2);
  float* C = (float*)a.u64(3);
  int m = (int)a.num(4), n = (int)a.num(5), k = (int)a.num(6);
  bool ta = a.flag(7), tb = a.flag(8);
  float alpha = (float)a.num(9), beta = (float)a.num(10);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, m > 0 && n > 0 && k > 0, "gemm sizes must be positive");
  int lda = ta ? m : k;  // row-major leading dimensions
  int ldb = tb ? k : n;
  BLAS_CHECK(env, blas.cublasSgemm_v2(h, tb ? BLAS_OP_T : BLAS_OP_N, ta ? BLAS_OP_T : BLAS_OP_N, n, m, k, &alpha,
                                      B, ldb, A, lda, &beta, C, n));
  return undefined(env);
}

// gemmStridedBatched(handle, a, b, c, params): row-major f32 per batch entry, params as the
// WGSL batched_gemm's (element strides); operands swapped for cuBLAS as in gemm.
struct BatchedGemmParams { uint32_t m, n, k, flags; float alpha, beta; uint32_t batch, sa, sb, sc, _a, _b; };
napi_value gemm_strided_batched(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  cublasHandle_t h = (cublasHandle_t)a.u64(0);
  const float* A = (const float*)a.u64(1);
  const float* B = (const float*)a.u64(2);
  float* C = (float*)a.u64(3);
  size_t bytes = 0;
  const void* raw = a.bytes(4, &bytes);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, raw && bytes >= sizeof(BatchedGemmParams), "gemmStridedBatched params shorter than batched_gemm's Params");
  BatchedGemmParams p;
  std::memcpy(&p, raw, sizeof p);
  USAGE_CHECK(env, p.m > 0 && p.n > 0 && p.k > 0 && p.batch > 0, "gemmStridedBatched sizes must be positive");
  bool ta = p.flags & 1, tb = p.flags & 2;
  int lda = ta ? p.m : p.k;  // row-major leading dimensions
  int ldb = tb ? p.k : p.n;
  BLAS_CHECK(env, blas.cublasSgemmStridedBatched(h, tb ? BLAS_OP_T : BLAS_OP_N, ta ? BLAS_OP_T : BLAS_OP_N, p.n, p.m, p.k,
                                                 &p.alpha, B, ldb, p.sb, A, lda, p.sa, &p.beta, C, p.n, p.sc,
                                                 p.batch));
  return undefined(env);
}

}  // namespace handover
