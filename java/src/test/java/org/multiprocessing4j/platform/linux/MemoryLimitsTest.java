package org.multiprocessing4j.platform.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where {@link MemoryLimits} finds the limits, checked on texts as the kernel writes them. */
class MemoryLimitsTest {

    @Test
    void systemLimitIsMemAvailablePlusSwapFree() {
        String meminfo = """
                MemTotal:       24683784 kB
                MemFree:        20000000 kB
                MemAvailable:   24328244 kB
                SwapTotal:       2097148 kB
                SwapFree:        1048576 kB
                """;
        assertEquals((24328244L + 1048576L) * 1024, MemoryLimits.system(meminfo).bytes());
        assertTrue(MemoryLimits.system(meminfo).source().contains("MemAvailable + SwapFree"));
    }

    @Test
    void unreadableSystemLimitIsNoLimit() {
        assertEquals(MemoryLimits.UNLIMITED, MemoryLimits.system(null).bytes());
        assertEquals(MemoryLimits.UNLIMITED, MemoryLimits.system("MemTotal: 1 kB\n").bytes());
    }

    @Test
    void cgroupV1DirectoryAndItsAncestorsComeFromProcSelfCgroupAndMountinfo() {
        String cgroups = """
                9:name=systemd:/
                4:memory:/process_api/0a14
                1:cpu:/
                0::/
                """;
        String mountinfo = """
                30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                33 25 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                """;
        assertEquals(List.of(
                new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup/memory/process_api/0a14"), true),
                new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup/memory/process_api"), true)),
                MemoryLimits.cgroupDirs(cgroups, mountinfo));
    }

    @Test
    void cgroupV2InAContainerSeesItsOwnCgroupAsTheRoot() {
        String mountinfo = "1200 1190 0:30 /kubepods/pod1 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n";
        assertEquals(List.of(new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup"), false)),
                MemoryLimits.cgroupDirs("0::/\n", mountinfo));
        assertEquals(List.of(new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup/job"), false)),
                MemoryLimits.cgroupDirs("0::/kubepods/pod1/job\n", mountinfo));
    }

    @Test
    void cgroupV2OnTheHostWalksUpToTheMount() {
        String mountinfo = """
                25 1 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
                """;
        assertEquals(List.of(
                new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup/user.slice/session-2.scope"), false),
                new MemoryLimits.CgroupDir(Path.of("/sys/fs/cgroup/user.slice"), false)),
                MemoryLimits.cgroupDirs("0::/user.slice/session-2.scope\n", mountinfo));
    }

    @Test
    void noMemoryControllerMeansNoCgroupLimit() {
        String mountinfo = "30 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assertEquals(List.of(), MemoryLimits.cgroupDirs("1:cpu:/\n", mountinfo));
    }
}
