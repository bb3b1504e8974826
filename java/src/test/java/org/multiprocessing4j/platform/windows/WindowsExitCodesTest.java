package org.multiprocessing4j.platform.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Platform;

/**
 * {@link WindowsExitCodes}: a terminated child reads {@code -15} as in CPython
 * ({@code TerminateProcess(h, 0x10000)}), a killed one {@code -9}, anything else its code
 * (the probe {@code native/probes/windows/exit_codes.c} shows what {@code GetExitCodeProcess}
 * returns for each). Runs on every OS: no native call.
 */
class WindowsExitCodesTest {

    @Test
    void aTerminatedChildReadsAsCPythonReportsIt() {
        assertEquals(0x10000, WindowsExitCodes.terminateCode(Platform.Stop.TERMINATE));
        assertEquals(-15, WindowsExitCodes.decode(0x10000).pythonExitCode());
    }

    @Test
    void aKilledChildReadsMinusNine() {
        assertEquals(-9, WindowsExitCodes.decode(WindowsExitCodes.terminateCode(Platform.Stop.KILL)).pythonExitCode());
    }

    @Test
    void otherCodesAreTheExitCodeSigned() {
        assertEquals(0, WindowsExitCodes.decode(0).pythonExitCode());
        assertEquals(7, WindowsExitCodes.decode(7).pythonExitCode());
        assertEquals(-1, WindowsExitCodes.decode(0xFFFFFFFF).pythonExitCode());
        assertEquals(0, WindowsExitCodes.decode(7).signal());
    }

    @Test
    void anInterruptIsNeverForced() {
        assertThrows(IllegalArgumentException.class, () -> WindowsExitCodes.terminateCode(Platform.Stop.INTERRUPT));
    }
}
