#!/bin/sh
# Print the CPU count the container may use: the cgroup quota rounded up (v2 cpu.max or v1
# cfs_quota_us / cfs_period_us), or 1 without a quota. Used by the nginx and Swoole entrypoints
# so worker counts follow the pod's limit, never the node's cores (trap: `auto` / swoole_cpu_num()).
set -eu
if [ -r /sys/fs/cgroup/cpu.max ]; then
  read -r quota period </sys/fs/cgroup/cpu.max
elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
  period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
else
  quota=max period=100000
fi
if [ "$quota" = max ] || [ "$quota" -le 0 ]; then
  echo 1  # no limit: one worker; set the count explicitly when more are wanted
else
  echo $(( (quota + period - 1) / period ))
fi
