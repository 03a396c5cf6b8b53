{
  "targets": [
    {
      "target_name": "getrlimit",
      "sources": [
        "src/addon.cc",
        "src/result.cc",
        "src/rlimit.cc",
        "src/mqueue.cc",
        "src/exec.cc",
        "src/queuedir.cc",
        "src/holders.cc",
        "src/processes.cc",
        "src/procfs.cc",
        "src/sysv.cc",
        "src/nsfs.cc",
        "src/measure.cc",
        "src/notify.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      # Failed syscalls come back as {ok:false} objects and bad arguments as a
      # pending TypeError, so the addon never needs C++ exceptions.
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra"],
      # glibc >= 2.34 has mq_* in libc itself; older glibc needs librt.
      "libraries": ["-lrt"]
    }
  ]
}
