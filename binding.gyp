{
  "targets": [
    {
      "target_name": "sovereign_relay_engine",
      "sources": [
        "relay/native/src/addon.cc",
        "relay/native/src/crypto.cc",
        "relay/native/src/engine.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources!": ["relay/native/src/addon.cc", "relay/native/src/crypto.cc", "relay/native/src/engine.cc"] }]
      ]
    }
  ]
}
