package org.multiprocessing4j.platform.windows;

import static java.nio.charset.StandardCharsets.UTF_16LE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.windows.bindings.SECURITY_ATTRIBUTES;
import org.multiprocessing4j.platform.windows.bindings.SID_AND_ATTRIBUTES;
import org.multiprocessing4j.platform.windows.bindings.TOKEN_USER;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * The security attributes every named object of this backend is created with (file mappings,
 * pipes, events, semaphores): a DACL granting the current user all access and nobody else,
 * written in SDDL as {@code D:P(A;;GA;;;<user SID>)} ({@code P}: protected, nothing inherited
 * from a parent object), and not inheritable. Built once per process: the token's user SID
 * ({@code OpenProcessToken} + {@code GetTokenInformation(TokenUser)} +
 * {@code ConvertSidToStringSidW}), then
 * {@code ConvertStringSecurityDescriptorToSecurityDescriptorW}; the descriptor lives as long as
 * the process. The default DACL of a {@code Local\} object would also let administrators and
 * SYSTEM in; CPython's named pipes use that default plus {@code PIPE_REJECT_REMOTE_CLIENTS}.
 * Thread-safe (a holder class). The same calls are shown across two processes by
 * {@code native/probes/windows/pipe_overlapped.c}; this class itself is unproven.
 */
final class WindowsSecurity {
    private static final MethodHandle OPEN_PROCESS_TOKEN =
            WindowsNative.capturing(Win32.OpenProcessToken$address(), Win32.OpenProcessToken$descriptor());
    private static final MethodHandle GET_TOKEN_INFORMATION =
            WindowsNative.capturing(Win32.GetTokenInformation$address(), Win32.GetTokenInformation$descriptor());
    private static final MethodHandle CONVERT_SID =
            WindowsNative.capturing(Win32.ConvertSidToStringSidW$address(), Win32.ConvertSidToStringSidW$descriptor());
    private static final MethodHandle CONVERT_SDDL = WindowsNative.capturing(
            Win32.ConvertStringSecurityDescriptorToSecurityDescriptorW$address(),
            Win32.ConvertStringSecurityDescriptorToSecurityDescriptorW$descriptor());

    private WindowsSecurity() {
    }

    private static final class Holder {
        static final MemorySegment CURRENT_USER_ONLY;
        static final IOException FAILURE;

        static {
            MemorySegment attributes = null;
            IOException failure = null;
            try {
                attributes = build();
            } catch (IOException e) {
                failure = e;
            }
            CURRENT_USER_ONLY = attributes;
            FAILURE = failure;
        }
    }

    /**
     * {@return a {@code SECURITY_ATTRIBUTES} granting the current user only, valid for the life of
     * the process}
     *
     * @throws IOException if the token or the descriptor could not be read or built (the same
     *     failure on every call)
     */
    static MemorySegment currentUserOnly() throws IOException {
        if (Holder.FAILURE != null) {
            throw new IOException(Holder.FAILURE.getMessage(), Holder.FAILURE);
        }
        return Holder.CURRENT_USER_ONLY;
    }

    private static MemorySegment build() throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment token = scratch.allocate(ValueLayout.ADDRESS);
            if ((int) OPEN_PROCESS_TOKEN.invokeExact(state, Win32.GetCurrentProcess(), Win32.TOKEN_QUERY(), token) == 0) {
                throw WindowsNative.failure("OpenProcessToken(TOKEN_QUERY)", state);
            }
            MemorySegment tokenHandle = token.get(ValueLayout.ADDRESS, 0);
            try {
                MemorySegment size = scratch.allocate(ValueLayout.JAVA_INT);
                // first call: asks for the size, fails with ERROR_INSUFFICIENT_BUFFER by design
                int ignored = (int) GET_TOKEN_INFORMATION.invokeExact(state, tokenHandle, Win32.TokenUser(),
                        MemorySegment.NULL, 0, size);
                MemorySegment user = scratch.allocate(Math.max(size.get(ValueLayout.JAVA_INT, 0), (int) TOKEN_USER.sizeof()), 8);
                if ((int) GET_TOKEN_INFORMATION.invokeExact(state, tokenHandle, Win32.TokenUser(), user,
                        (int) user.byteSize(), size) == 0) {
                    throw WindowsNative.failure("GetTokenInformation(TokenUser)", state);
                }
                MemorySegment sid = SID_AND_ATTRIBUTES.Sid(TOKEN_USER.User(user));
                MemorySegment sidString = scratch.allocate(ValueLayout.ADDRESS);
                if ((int) CONVERT_SID.invokeExact(state, sid, sidString) == 0) {
                    throw WindowsNative.failure("ConvertSidToStringSidW", state);
                }
                MemorySegment wide = sidString.get(ValueLayout.ADDRESS, 0).reinterpret(Long.MAX_VALUE);
                String sddl = WindowsSecurityDescriptors.currentUserOnly(wide.getString(0, UTF_16LE));
                Win32.LocalFree(wide);
                Arena forever = Arena.global();
                MemorySegment descriptor = forever.allocate(ValueLayout.ADDRESS);
                if ((int) CONVERT_SDDL.invokeExact(state, scratch.allocateFrom(sddl, UTF_16LE), Win32.SDDL_REVISION_1(),
                        descriptor, MemorySegment.NULL) == 0) {
                    throw WindowsNative.failure("ConvertStringSecurityDescriptorToSecurityDescriptorW(\"" + sddl + "\")", state);
                }
                MemorySegment attributes = SECURITY_ATTRIBUTES.allocate(forever);
                SECURITY_ATTRIBUTES.nLength(attributes, (int) SECURITY_ATTRIBUTES.sizeof());
                SECURITY_ATTRIBUTES.lpSecurityDescriptor(attributes, descriptor.get(ValueLayout.ADDRESS, 0));
                SECURITY_ATTRIBUTES.bInheritHandle(attributes, 0);
                return attributes;
            } finally {
                Win32.CloseHandle(tokenHandle);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }
}
