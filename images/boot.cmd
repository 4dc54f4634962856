# The kiosk's A/B boot script: RAUC's documented U-Boot logic (images/README.md, "Updates"). The build compiles it:
#   mkimage -A arm64 -T script -C none -n "kiosk A/B boot" -d boot.cmd boot.scr
# Found by distro boot on the FAT partition (sets devtype, devnum, distro_bootpart). Works on
# qemu_arm64 (U-Boot env in flash, never saved) and on the Pi's rpi_arm64 / rpi_3 / rpi_4 builds
# (U-Boot env in uboot.env on mmc 0:1): the A/B state lives in its OWN file, rauc.env, which this
# script loads and saves explicitly; on the Pi uboot.env is U-Boot's whole environment and a
# 3-variable file there would replace it at power-on (bootcmd gone: CONFIG_ENV_APPEND is not set).
# rauc.env is in the binary format of `env export -c -s 0x4000` = fw_printenv/fw_setenv
# (libubootenv) with /etc/fw_env.config "/boot/firmware/rauc.env 0x0 0x4000".

setenv ab_env rauc.env
setenv ab_args kiosk-args.txt
setenv ab_envsize 0x4000
# scratch buffer for the small files: the ramdisk address (the initrd is loaded last). Not
# ${loadaddr}/${scriptaddr}: this script is running from there on qemu_arm64.
setenv ab_buf ${ramdisk_addr_r}

# On the Pi the defaults leave 38 MiB between kernel (0x80000) and ramdisk (0x2700000): too tight
# for Debian's kernel Image plus BSS. Give the ramdisk and the gzip buffer room (Pi 3 has 1 GiB).
if test "${board}" = "rpi"; then
  setenv ramdisk_addr_r 0x06000000
  setenv kernel_comp_addr_r 0x0a000000
  setenv ab_buf ${ramdisk_addr_r}
fi
# Debian's arm64 vmlinuz is gzip: booti unpacks it from kernel_comp_addr_r (neither qemu_arm64
# nor the Pi sets it). kernel_comp_size is set to the file's size after loading it.
test -n "${kernel_comp_addr_r}" || setenv kernel_comp_addr_r 0x50000000

# ---- 1. the A/B state: load rauc.env (CRC-checked), defaults when missing or corrupt
setenv BOOT_ORDER
setenv BOOT_A_LEFT
setenv BOOT_B_LEFT
if load ${devtype} ${devnum}:${distro_bootpart} ${ab_buf} ${ab_env}; then
  if env import -c ${ab_buf} ${ab_envsize} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT; then
    echo "AB: ${ab_env} loaded"
  else
    echo "AB: ${ab_env} is corrupt (CRC): defaults"
  fi
else
  echo "AB: no ${ab_env}: defaults"
fi
test -n "${BOOT_ORDER}" || setenv BOOT_ORDER "A B"
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 3
echo "AB: BOOT_ORDER=[${BOOT_ORDER}] BOOT_A_LEFT=${BOOT_A_LEFT} BOOT_B_LEFT=${BOOT_B_LEFT}"

# ---- 2. pick the first slot in BOOT_ORDER with tries left, and take one try
setenv ab_slot
for BOOT_SLOT in "${BOOT_ORDER}"; do
  if test -z "${ab_slot}" && test "x${BOOT_SLOT}" = "xA" && test ${BOOT_A_LEFT} -gt 0; then
    setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
    setenv ab_slot A
    setenv ab_part 2
  fi
  if test -z "${ab_slot}" && test "x${BOOT_SLOT}" = "xB" && test ${BOOT_B_LEFT} -gt 0; then
    setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
    setenv ab_slot B
    setenv ab_part 3
  fi
done

# ---- 3. nothing left: never brick a kiosk, give both slots 3 tries again and take the first
if test -z "${ab_slot}"; then
  echo "AB: no slot has tries left: resetting BOOT_A_LEFT and BOOT_B_LEFT to 3"
  setenv BOOT_A_LEFT 3
  setenv BOOT_B_LEFT 3
  for BOOT_SLOT in "${BOOT_ORDER}"; do
    if test -z "${ab_slot}" && test "x${BOOT_SLOT}" = "xA"; then
      setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
      setenv ab_slot A
      setenv ab_part 2
    fi
    if test -z "${ab_slot}" && test "x${BOOT_SLOT}" = "xB"; then
      setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
      setenv ab_slot B
      setenv ab_part 3
    fi
  done
  # BOOT_ORDER without A or B in it (hand-edited): start over from A
  if test -z "${ab_slot}"; then
    setenv BOOT_ORDER "A B"
    setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
    setenv ab_slot A
    setenv ab_part 2
  fi
fi

# ---- 4. save the decremented counter before booting (a crash now still costs the try)
env export -c -s ${ab_envsize} ${ab_buf} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
if fatwrite ${devtype} ${devnum}:${distro_bootpart} ${ab_buf} ${ab_env} ${ab_envsize}; then
  echo "AB: booting slot ${ab_slot} (partition ${ab_part}), tries left A=${BOOT_A_LEFT} B=${BOOT_B_LEFT}"
else
  echo "AB: WARNING could not save ${ab_env}; booting slot ${ab_slot} anyway"
fi

# ---- 5. extra kernel arguments from a text file on the FAT partition: a line extra_args=...
setenv extra_args
if load ${devtype} ${devnum}:${distro_bootpart} ${ab_buf} ${ab_args}; then
  env import -t -r ${ab_buf} ${filesize} extra_args
fi

# the root by PARTUUID: the MBR disk signature of this disk (same on every kiosk) + partition
part uuid ${devtype} ${devnum}:${ab_part} ab_partuuid
# read-only (a power cut cannot damage it); the screen is the console (the UART is the printer's); a kernel
# that panics restarts in 10 s, which spends this slot's try
setenv bootargs "root=PARTUUID=${ab_partuuid} rootwait ro rauc.slot=${ab_slot} panic=10 console=tty0 ${extra_args}"
echo "AB: bootargs=${bootargs}"

# ---- 6. kernel and initrd from the chosen slot's ext4, device tree from the firmware/QEMU
if load ${devtype} ${devnum}:${ab_part} ${kernel_addr_r} /boot/vmlinuz; then
  setenv kernel_comp_size ${filesize}
  if load ${devtype} ${devnum}:${ab_part} ${ramdisk_addr_r} /boot/initrd.img; then
    booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}
  fi
fi
# no kernel in that slot (or booti failed): the try is spent; start again
echo "AB: slot ${ab_slot} did not boot: resetting"
reset
