#!/usr/bin/env python3
"""Compiles the job image's CUDA C kernels to PTX without a CUDA toolkit: NVRTC from NVIDIA's PyPI
wheel (nvidia-cuda-nvrtc-cu12, CUDA 12.0, so any CUDA 12 driver JIT-loads the PTX), driven through
ctypes; then checks the PTX with ptxas from the matching nvidia-cuda-nvcc-cu12 wheel. An nvcc on PATH
is used instead when there is one. Wheels are cached under ~/.cache/parallel-job/cuda.

    ptx.py SOURCE.cu OUT.ptx   (the build calls it; prints what it did)
"""
import ctypes
import glob
import os
import re
import shutil
import subprocess
import sys
import zipfile

CUDA = "12.0"
WHEELS = {"nvrtc": "nvidia-cuda-nvrtc-cu12==12.0.140", "nvcc": "nvidia-cuda-nvcc-cu12==12.0.140"}
ARCH = "compute_70"   # Volta and newer; the driver JIT-compiles for the actual GPU
CHECK_SM = "sm_70"
CACHE = os.path.join(os.environ.get("PJ_CACHE", os.path.expanduser("~/.cache/parallel-job")), "cuda", CUDA)


def wheel(name):
    """The unpacked wheel's directory, downloading it once."""
    out = os.path.join(CACHE, name)
    if os.path.isdir(out):
        return out
    os.makedirs(CACHE, exist_ok=True)
    tmp = out + ".download"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--platform", "manylinux2014_x86_64", "--python-version", "3.11", WHEELS[name], "-d", tmp],
                   check=True)
    with zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0]) as z:
        z.extractall(out + ".part")
    for exe in glob.glob(os.path.join(out + ".part", "nvidia", "*", "bin", "*")):
        os.chmod(exe, 0o755)  # zip files do not keep the executable bit
    os.rename(out + ".part", out)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def nvrtc_ptx(source, name):
    lib_dir = os.path.join(wheel("nvrtc"), "nvidia", "cuda_nvrtc", "lib")
    ctypes.CDLL(glob.glob(os.path.join(lib_dir, "libnvrtc-builtins.so*"))[0], mode=ctypes.RTLD_GLOBAL)
    nvrtc = ctypes.CDLL(os.path.join(lib_dir, "libnvrtc.so.12"))
    prog = ctypes.c_void_p()

    def check(code, what):
        if code != 0:
            nvrtc.nvrtcGetErrorString.restype = ctypes.c_char_p
            raise SystemExit("NVRTC %s failed: %s" % (what, nvrtc.nvrtcGetErrorString(code).decode()))

    check(nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None), "create")
    opts = [b"--gpu-architecture=" + ARCH.encode(), b"--std=c++11"]
    arr = (ctypes.c_char_p * len(opts))(*opts)
    code = nvrtc.nvrtcCompileProgram(prog, len(opts), arr)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, log)
    if code != 0:
        raise SystemExit("NVRTC compile of %s failed:\n%s" % (name, log.value.decode()))
    nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(size))
    ptx = ctypes.create_string_buffer(size.value)
    check(nvrtc.nvrtcGetPTX(prog, ptx), "getPTX")
    return ptx.value.decode()


def main():
    src, out = sys.argv[1], sys.argv[2]
    source = open(src).read()
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        print("[ptx] %s up to date" % out)
        return
    nvcc = shutil.which("nvcc")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    if nvcc:
        subprocess.run([nvcc, "-ptx", "-arch=" + ARCH, "-o", out, src], check=True)
        how = nvcc
    else:
        open(out, "w").write(nvrtc_ptx(source, os.path.basename(src)))
        how = "NVRTC " + WHEELS["nvrtc"]
    entries = re.findall(r"\.entry\s+(\w+)", open(out).read())
    print("[ptx] %s -> %s with %s (%s), entries: %s" % (src, out, how, ARCH, ", ".join(entries)))
    ptxas = shutil.which("ptxas") or os.path.join(wheel("nvcc"), "nvidia", "cuda_nvcc", "bin", "ptxas")
    subprocess.run([ptxas, "-arch=" + CHECK_SM, out, "-o", os.devnull], check=True)
    print("[ptx] ptxas -arch=%s accepts it" % CHECK_SM)


if __name__ == "__main__":
    main()
