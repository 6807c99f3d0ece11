# cmake/toolchain-arm-none-eabi.cmake - cross builds for bare-metal Arm with
# Debian's gcc-arm-none-eabi and libnewlib-arm-none-eabi (the `board`
# preset). Only the tools are chosen here; the CPU flags, linker script and
# specs belong to each board (boards/<name>/CMakeLists.txt).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# no startup files or linker script yet: test the compiler without linking
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

find_program(CB_ARM_SIZE arm-none-eabi-size)
find_program(CB_ARM_NM arm-none-eabi-nm)
find_program(CB_ARM_OBJCOPY arm-none-eabi-objcopy)

# headers and libraries from the cross toolchain only, never the host's
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
