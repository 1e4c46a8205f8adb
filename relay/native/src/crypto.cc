// HMAC (RFC 2104) and one-shot digests for the relay's STUN authentication — the REST
// password, the long-term key, MESSAGE-INTEGRITY and the stateless nonces — over Node's
// own OpenSSL: the node binary exports its OpenSSL to addons, so nothing is linked or
// downloaded, and these are the primitives node:crypto itself runs on. What node:crypto
// adds per call (an object, an algorithm fetch, a context) cost more than the hashing for
// STUN's 100-byte messages; here an algorithm is fetched once per process and each call
// reuses one digest context.
//
// Every function writes into a buffer the caller provides (no allocation per call) and
// returns the bytes written. Used from the JavaScript thread only (the contexts are
// thread-local, so a worker thread would get its own).
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string>

namespace sovereign {
namespace {

// Algorithm numbers of relay/native/crypto.ts.
enum Algorithm : uint32_t { kSha1 = 0, kSha256 = 1, kMd5 = 2, kAlgorithms = 3 };
constexpr const char* kNames[kAlgorithms] = {"SHA1", "SHA256", "MD5"};
constexpr size_t kMaxBlock = 64;  // SHA-1, SHA-256 and MD5 all hash 64-byte blocks
constexpr size_t kMaxParts = 8;
constexpr size_t kMaxText = 4096;  // long-term key input: username:realm:password

// Fetched once: nullptr when this OpenSSL does not offer it (MD5 under a FIPS provider).
const EVP_MD* md(uint32_t algorithm) {
  static const EVP_MD* const mds[kAlgorithms] = {
      EVP_MD_fetch(nullptr, kNames[kSha1], nullptr),
      EVP_MD_fetch(nullptr, kNames[kSha256], nullptr),
      EVP_MD_fetch(nullptr, kNames[kMd5], nullptr),
  };
  return algorithm < kAlgorithms ? mds[algorithm] : nullptr;
}

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

EVP_MD_CTX* context() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

struct Bytes {
  const uint8_t* data = nullptr;
  size_t length = 0;
};

bool bytesOf(const Napi::Value& v, Bytes& out) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  if (t.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u = t.As<Napi::Uint8Array>();
  out.data = u.Data();
  out.length = u.ByteLength();
  return true;
}

bool writable(const Napi::Value& v, uint8_t*& data, size_t& length) {
  Bytes b;
  if (!bytesOf(v, b)) return false;
  data = const_cast<uint8_t*>(b.data);
  length = b.length;
  return true;
}

// One digest of the concatenation of `parts` into `out` (at least EVP_MAX_MD_SIZE bytes).
bool digest(const EVP_MD* m, const Bytes* parts, size_t count, uint8_t* out, unsigned& size) {
  EVP_MD_CTX* c = context();
  if (c == nullptr || EVP_DigestInit_ex2(c, m, nullptr) != 1) return false;
  for (size_t i = 0; i < count; i++) {
    if (parts[i].length > 0 && EVP_DigestUpdate(c, parts[i].data, parts[i].length) != 1) return false;
  }
  return EVP_DigestFinal_ex(c, out, &size) == 1;
}

Napi::Value fail(Napi::Env env, const char* message, bool typeError = true) {
  if (typeError) {
    Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  } else {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, "ERR_NATIVE_CRYPTO"));
    e.ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// hmacInto(out, algorithm, key, ...parts): HMAC of the parts' concatenation under key.
Napi::Value HmacInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "hmacInto(out: Uint8Array, algorithm: 0 | 1, key: Uint8Array, ...parts: Uint8Array[])";
  if (info.Length() < 3 || info.Length() > 3 + kMaxParts || !info[1].IsNumber()) return fail(env, usage);
  uint8_t* out;
  size_t outLength;
  Bytes key;
  if (!writable(info[0], out, outLength) || !bytesOf(info[2], key)) return fail(env, usage);
  const uint32_t algorithm = info[1].As<Napi::Number>().Uint32Value();
  const EVP_MD* m = algorithm == kSha1 || algorithm == kSha256 ? md(algorithm) : nullptr;
  if (m == nullptr) return fail(env, "hmacInto: algorithm must be 0 (SHA-1) or 1 (SHA-256)");
  const size_t block = static_cast<size_t>(EVP_MD_get_block_size(m));
  const size_t size = static_cast<size_t>(EVP_MD_get_size(m));
  if (block > kMaxBlock || outLength < size) return fail(env, "hmacInto: out is shorter than the digest");
  Bytes parts[kMaxParts + 1];
  const size_t count = info.Length() - 3;
  for (size_t i = 0; i < count; i++) {
    if (!bytesOf(info[3 + i], parts[i + 1])) return fail(env, usage);
  }
  // RFC 2104: a key longer than the block is hashed first; then zero-padded to the block.
  uint8_t k0[kMaxBlock] = {};
  if (key.length > block) {
    unsigned n = 0;
    if (!digest(m, &key, 1, k0, n)) return fail(env, "hmacInto: the digest failed", false);
  } else if (key.length > 0) {
    std::memcpy(k0, key.data, key.length);
  }
  uint8_t pad[kMaxBlock];
  for (size_t i = 0; i < block; i++) pad[i] = k0[i] ^ 0x36;
  parts[0] = {pad, block};
  uint8_t inner[EVP_MAX_MD_SIZE];
  unsigned innerSize = 0;
  if (!digest(m, parts, count + 1, inner, innerSize)) return fail(env, "hmacInto: the digest failed", false);
  for (size_t i = 0; i < block; i++) pad[i] = k0[i] ^ 0x5c;
  const Bytes outer[2] = {{pad, block}, {inner, innerSize}};
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned macSize = 0;
  if (!digest(m, outer, 2, mac, macSize)) return fail(env, "hmacInto: the digest failed", false);
  std::memcpy(out, mac, macSize);
  OPENSSL_cleanse(k0, sizeof k0);
  OPENSSL_cleanse(pad, sizeof pad);
  return Napi::Number::New(env, macSize);
}

// digestInto(out, algorithm, text): the digest of text's UTF-8 bytes.
Napi::Value DigestInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "digestInto(out: Uint8Array, algorithm: 0 | 1 | 2, text: string)";
  if (info.Length() != 3 || !info[1].IsNumber() || !info[2].IsString()) return fail(env, usage);
  uint8_t* out;
  size_t outLength;
  if (!writable(info[0], out, outLength)) return fail(env, usage);
  const EVP_MD* m = md(info[1].As<Napi::Number>().Uint32Value());
  if (m == nullptr) return fail(env, "digestInto: algorithm must be 0 (SHA-1), 1 (SHA-256) or 2 (MD5)");
  if (outLength < static_cast<size_t>(EVP_MD_get_size(m))) return fail(env, "digestInto: out is shorter than the digest");
  char text[kMaxText + 1];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, info[2], text, sizeof text, &length) != napi_ok) return fail(env, usage);
  if (length >= kMaxText) return fail(env, "digestInto: text longer than 4,095 UTF-8 bytes");
  const Bytes part{reinterpret_cast<const uint8_t*>(text), length};
  uint8_t d[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (!digest(m, &part, 1, d, size)) return fail(env, "digestInto: the digest failed", false);
  std::memcpy(out, d, size);
  OPENSSL_cleanse(text, length);
  return Napi::Number::New(env, size);
}

}  // namespace

void InitCrypto(Napi::Env env, Napi::Object exports) {
  // Offered only when every algorithm is there; otherwise relay/proto keeps its own.
  for (uint32_t a = 0; a < kAlgorithms; a++) {
    if (md(a) == nullptr) return;
  }
  Napi::Object crypto = Napi::Object::New(env);
  crypto.Set("hmacInto", Napi::Function::New<HmacInto>(env, "hmacInto"));
  crypto.Set("digestInto", Napi::Function::New<DigestInto>(env, "digestInto"));
  crypto.Set("openssl", Napi::String::New(env, OpenSSL_version(OPENSSL_VERSION)));
  exports.Set("crypto", crypto);
}

}  // namespace sovereign
