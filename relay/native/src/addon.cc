// Node-API binding of the engine (relay/native/index.ts is its typed wrapper) and of the
// STUN crypto (crypto.cc; relay/native/crypto.ts). Only
// Node-API is used, so one build serves every Node version with NAPI_VERSION 8.
#include <napi.h>

#include <cstring>
#include <memory>

#include "crypto.h"
#include "engine.h"

namespace sovereign {
namespace {

struct HandUpContext;
void callJs(Napi::Env env, Napi::Function callback, HandUpContext* context, HandUpBatch* batch);
using Tsfn = Napi::TypedThreadSafeFunction<HandUpContext, HandUpBatch, callJs>;

// The engine whose hand-ups the thread-safe function carries (set once it exists).
struct HandUpContext {
  Engine* engine = nullptr;
};

// Tells the data thread its batch has been run, however the call ends (a throwing
// callback included): a thread whose count never fell would wait on every wake-up.
struct HandUpDone {
  Engine* engine;
  uint32_t thread;
  ~HandUpDone() {
    if (engine != nullptr) engine->handUpDone(thread);
  }
};

// Each hand-up batch reaches JavaScript as (thread, meta, addresses, data): meta holds
// [kind, ref, port, family, offset, length] per packet, the payloads lie in `data`.
void callJs(Napi::Env env, Napi::Function callback, HandUpContext* context, HandUpBatch* batch) {
  std::unique_ptr<HandUpBatch> owned(batch);
  // env is null when the function is torn down: the engine is closed (its threads joined) by then.
  if (env == nullptr || batch == nullptr) return;
  HandUpDone done{context != nullptr ? context->engine : nullptr, batch->thread};
  if (callback.IsEmpty()) return;
  const size_t n = batch->packets.size();
  Napi::Uint32Array meta = Napi::Uint32Array::New(env, n * 6);
  Napi::Array addresses = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    const HandUpPacket& p = batch->packets[i];
    meta[i * 6 + 0] = p.kind;
    meta[i * 6 + 1] = p.ref;
    meta[i * 6 + 2] = p.port;
    meta[i * 6 + 3] = p.family;
    meta[i * 6 + 4] = p.offset;
    meta[i * 6 + 5] = p.length;
    addresses.Set(static_cast<uint32_t>(i), Napi::String::New(env, ipString(p.ip)));
  }
  Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::Copy(env, batch->data.data(), batch->data.size());
  callback.Call({Napi::Number::New(env, batch->thread), meta, addresses, data});
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Engine", {
      InstanceMethod<&EngineWrap::Listen>("listen"),
      InstanceMethod<&EngineWrap::CloseListener>("closeListener"),
      InstanceMethod<&EngineWrap::BindRelay>("bindRelay"),
      InstanceMethod<&EngineWrap::SetClient>("setClient"),
      InstanceMethod<&EngineWrap::SetPermission>("setPermission"),
      InstanceMethod<&EngineWrap::SetChannel>("setChannel"),
      InstanceMethod<&EngineWrap::TakeTokens>("takeTokens"),
      InstanceMethod<&EngineWrap::CloseRelay>("closeRelay"),
      InstanceMethod<&EngineWrap::SendClient>("sendClient"),
      InstanceMethod<&EngineWrap::SendPeer>("sendPeer"),
      InstanceMethod<&EngineWrap::Collect>("collect"),
      InstanceMethod<&EngineWrap::Stats>("stats"),
      InstanceMethod<&EngineWrap::Close>("close"),
      InstanceAccessor<&EngineWrap::Threads>("threads"),
      InstanceAccessor<&EngineWrap::RelaySockets>("relaySockets"),
    });
    exports.Set("Engine", ctor);
    return exports;
  }

  // new Engine(threads, onPackets)
  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "new Engine(threads: number, onPackets: function)").ThrowAsJavaScriptException();
      return;
    }
    uint32_t threads = info[0].As<Napi::Number>().Uint32Value();
    if (threads == 0 || threads > 256) {
      Napi::RangeError::New(env, "threads must be 1..256").ThrowAsJavaScriptException();
      return;
    }
    // A bounded queue: when TypeScript falls behind, hand-up batches are dropped and counted.
    // The context lives as long as the function (its finalizer frees it), past this object
    // if need be: batches still queued when the engine closes find `engine` null.
    context_ = new HandUpContext();
    tsfn_ = Tsfn::New(env, info[1].As<Napi::Function>(), "sovereign-relay-engine", 512, 1, context_,
                      [](Napi::Env, void*, HandUpContext* context) { delete context; }, static_cast<void*>(nullptr));
    hasTsfn_ = true;
    engine_ = std::make_unique<Engine>(threads, [this](HandUpBatch* b) {
      return tsfn_.NonBlockingCall(b) == napi_ok;
    });
    context_->engine = engine_.get();
    engine_->start();
    napi_add_env_cleanup_hook(env, &EngineWrap::Cleanup, this);
  }

  ~EngineWrap() override {
    napi_remove_env_cleanup_hook(Env(), &EngineWrap::Cleanup, this);
    Shutdown();
  }

 private:
  static void Cleanup(void* self) { static_cast<EngineWrap*>(self)->Shutdown(); }

  void Shutdown() {
    if (engine_) engine_->close();
    if (hasTsfn_) {
      context_->engine = nullptr;
      hasTsfn_ = false;
      tsfn_.Release();
    }
  }

  bool Usable(const Napi::CallbackInfo& info) {
    if (engine_ && !engine_->closed()) return true;
    Napi::Error e = Napi::Error::New(info.Env(), "the engine is closed");
    e.Set("code", Napi::String::New(info.Env(), "ERR_ENGINE_CLOSED"));
    e.ThrowAsJavaScriptException();
    return false;
  }

  static bool Args(const Napi::CallbackInfo& info, const char* types, const char* usage) {
    for (size_t i = 0; types[i] != 0; i++) {
      bool ok = i < info.Length() && (types[i] == 'n' ? info[i].IsNumber() : types[i] == 's' ? info[i].IsString() : info[i].IsBuffer());
      if (!ok) {
        Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
        return false;
      }
    }
    return true;
  }

  static uint32_t U32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }
  static double F64(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
  static std::string Str(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
  static bool Port(const Napi::CallbackInfo& info, size_t i, uint16_t& out) {
    double p = F64(info, i);
    if (!(p >= 0 && p <= 65535) || p != static_cast<double>(static_cast<uint32_t>(p))) {
      Napi::RangeError::New(info.Env(), "port must be an integer 0..65535").ThrowAsJavaScriptException();
      return false;
    }
    out = static_cast<uint16_t>(p);
    return true;
  }

  // listen(family, host, port, bufferBytes, shared?) → [listener, port] or -errno
  Napi::Value Listen(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nsnn", "listen(family, host, port, bufferBytes)")) return info.Env().Undefined();
    uint16_t port, bound = 0;
    if (!Port(info, 2, port)) return info.Env().Undefined();
    const bool shared = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
    int r = engine_->listen(static_cast<int>(U32(info, 0)), Str(info, 1), port, static_cast<int>(U32(info, 3)), bound, shared);
    if (r < 0) return Napi::Number::New(info.Env(), r);
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), r));
    out.Set(1u, Napi::Number::New(info.Env(), bound));
    return out;
  }

  Napi::Value CloseListener(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "n", "closeListener(listener)")) return info.Env().Undefined();
    engine_->closeListener(U32(info, 0));
    return info.Env().Undefined();
  }

  // bindRelay(id, thread, family, host, port, bufferBytes, bandwidth) → 0 or -errno
  Napi::Value BindRelay(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nnnsnnn", "bindRelay(id, thread, family, host, port, bufferBytes, bandwidth)")) return info.Env().Undefined();
    uint16_t port;
    if (!Port(info, 4, port)) return info.Env().Undefined();
    int r = engine_->bindRelay(U32(info, 0), U32(info, 1), static_cast<int>(U32(info, 2)), Str(info, 3), port, static_cast<int>(U32(info, 5)), F64(info, 6));
    return Napi::Number::New(info.Env(), r);
  }

  Napi::Value SetClient(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nnsn", "setClient(id, listener, address, port)")) return info.Env().Undefined();
    uint16_t port;
    if (!Port(info, 3, port)) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), engine_->setClient(U32(info, 0), U32(info, 1), Str(info, 2), port));
  }

  Napi::Value SetPermission(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nsn", "setPermission(id, address, ttlMs)")) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), engine_->setPermission(U32(info, 0), Str(info, 1), F64(info, 2)));
  }

  Napi::Value SetChannel(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nnsnn", "setChannel(id, number, address, port, ttlMs)")) return info.Env().Undefined();
    uint16_t port;
    double number = F64(info, 1);
    if (!Port(info, 3, port)) return info.Env().Undefined();
    if (!(number >= 0 && number <= 65535)) {
      Napi::RangeError::New(info.Env(), "channel number must be 0..65535").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Boolean::New(info.Env(), engine_->setChannel(U32(info, 0), static_cast<uint16_t>(number), Str(info, 2), port, F64(info, 4)));
  }

  // takeTokens(id, bytes) → 1 taken, 0 refused, -1 unknown allocation (or engine closed)
  Napi::Value TakeTokens(const Napi::CallbackInfo& info) {
    if (!engine_ || engine_->closed()) return Napi::Number::New(info.Env(), -1);
    if (!Args(info, "nn", "takeTokens(id, bytes)")) return info.Env().Undefined();
    const double bytes = F64(info, 1);
    if (!(bytes >= 0 && bytes <= 4294967295.0)) {
      Napi::RangeError::New(info.Env(), "bytes must be 0..2^32-1").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Number::New(info.Env(), engine_->takeTokens(U32(info, 0), static_cast<size_t>(bytes)));
  }

  // closeRelay(id) → [toPeerBytes, toPeerPackets, toClientBytes, toClientPackets, droppedBandwidth] or undefined
  Napi::Value CloseRelay(const Napi::CallbackInfo& info) {
    if (!engine_ || engine_->closed()) return info.Env().Undefined();  // idempotent after close
    if (!Args(info, "n", "closeRelay(id)")) return info.Env().Undefined();
    Counters c;
    if (!engine_->closeRelay(U32(info, 0), c)) return info.Env().Undefined();
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), 5);
    out[0] = c.toPeerBytes;
    out[1] = c.toPeerPackets;
    out[2] = c.toClientBytes;
    out[3] = c.toClientPackets;
    out[4] = c.droppedBandwidth;
    return out;
  }

  Napi::Value SendClient(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nsnb", "sendClient(listener, address, port, data)")) return info.Env().Undefined();
    uint16_t port;
    if (!Port(info, 2, port)) return info.Env().Undefined();
    auto buf = info[3].As<Napi::Buffer<uint8_t>>();
    return Napi::Number::New(info.Env(), engine_->sendClient(U32(info, 0), Str(info, 1), port, buf.Data(), buf.Length()));
  }

  Napi::Value SendPeer(const Napi::CallbackInfo& info) {
    if (!Usable(info) || !Args(info, "nsnb", "sendPeer(id, address, port, data)")) return info.Env().Undefined();
    uint16_t port;
    if (!Port(info, 2, port)) return info.Env().Undefined();
    auto buf = info[3].As<Napi::Buffer<uint8_t>>();
    return Napi::Number::New(info.Env(), engine_->sendPeer(U32(info, 0), Str(info, 1), port, buf.Data(), buf.Length()));
  }

  // collect() → Float64Array of [id, toPeerBytes, toPeerPackets, toClientBytes, toClientPackets, droppedBandwidth]*
  Napi::Value Collect(const Napi::CallbackInfo& info) {
    std::vector<std::pair<uint32_t, Counters>> rows;
    if (engine_ && !engine_->closed()) engine_->collect(rows);
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), rows.size() * 6);
    for (size_t i = 0; i < rows.size(); i++) {
      const Counters& c = rows[i].second;
      out[i * 6 + 0] = rows[i].first;
      out[i * 6 + 1] = c.toPeerBytes;
      out[i * 6 + 2] = c.toPeerPackets;
      out[i * 6 + 3] = c.toClientBytes;
      out[i * 6 + 4] = c.toClientPackets;
      out[i * 6 + 5] = c.droppedBandwidth;
    }
    return out;
  }

  // stats() → one object per data thread
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<ThreadStats> s;
    std::vector<double> cpu;
    if (engine_ && !engine_->closed()) engine_->stats(s, cpu);
    Napi::Array out = Napi::Array::New(env, s.size());
    for (size_t i = 0; i < s.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      auto num = [&env](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
      o.Set("rxPackets", num(s[i].rxPackets));
      o.Set("rxBytes", num(s[i].rxBytes));
      o.Set("txPackets", num(s[i].txPackets));
      o.Set("txBytes", num(s[i].txBytes));
      o.Set("batches", num(s[i].batches));
      o.Set("batchedPackets", num(s[i].batchedPackets));
      o.Set("maxBatch", num(s[i].maxBatch));
      o.Set("handedUp", num(s[i].handedUp));
      o.Set("handUpBatches", num(s[i].handUpBatches));
      o.Set("handUpWaits", num(s[i].handUpWaits));
      o.Set("sendCalls", num(s[i].sendCalls));
      o.Set("sendMessages", num(s[i].sendMessages));
      o.Set("gsoMessages", num(s[i].gsoMessages));
      o.Set("gsoDatagrams", num(s[i].gsoDatagrams));
      o.Set("gsoFallbacks", num(s[i].gsoFallbacks));
      o.Set("groMessages", num(s[i].groMessages));
      o.Set("groDatagrams", num(s[i].groDatagrams));
      Napi::Object d = Napi::Object::New(env);
      d.Set("bandwidth", num(s[i].drops.bandwidth));
      d.Set("malformed", num(s[i].drops.malformed));
      d.Set("truncated", num(s[i].drops.truncated));
      d.Set("sendFailed", num(s[i].drops.sendFailed));
      d.Set("handUpFull", num(s[i].drops.handUpFull));
      o.Set("drops", d);
      o.Set("cpuSeconds", Napi::Number::New(env, cpu[i]));
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Threads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_ ? engine_->threads() : 0);
  }

  Napi::Value RelaySockets(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_ && !engine_->closed() ? static_cast<double>(engine_->relaySockets()) : 0);
  }

  HandUpContext* context_ = nullptr;  // owned by tsfn_ (freed by its finalizer)
  Tsfn tsfn_;
  bool hasTsfn_ = false;
  std::unique_ptr<Engine> engine_;
};

}  // namespace
}  // namespace sovereign

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  sovereign::InitCrypto(env, exports);
  return sovereign::EngineWrap::Init(env, exports);
}

NODE_API_MODULE(sovereign_relay_engine, InitAll)
