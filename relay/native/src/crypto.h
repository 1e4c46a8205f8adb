// The addon's `crypto` export (crypto.cc): HMAC and digests over Node's own OpenSSL.
#pragma once
#include <napi.h>

namespace sovereign {

// Sets exports.crypto = { hmacInto, digestInto, openssl } when this OpenSSL offers SHA-1,
// SHA-256 and MD5; leaves it unset otherwise.
void InitCrypto(Napi::Env env, Napi::Object exports);

}  // namespace sovereign
