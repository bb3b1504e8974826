package org.multiprocessing4j.platform.windows;

import static java.nio.charset.StandardCharsets.UTF_16LE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileAlreadyExistsException;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.windows.bindings.MEMORY_BASIC_INFORMATION;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Shared memory on Windows: pagefile-backed file mappings ({@code CreateFileMappingW} on
 * {@code INVALID_HANDLE_VALUE}), anonymous (no name; handed to a child as a handle) or named in
 * the session's {@code Local\} namespace, mapped with {@code MapViewOfFile}. Thread-safe
 * (stateless). Loaded only on Windows; unproven (see the package comment). What it relies on is
 * shown across two processes by {@code native/probes/windows/named_mapping.c}.
 *
 * <p>How Windows differs from the POSIX backends, and what the seam says for it:
 * <ul>
 *   <li><b>The size is fixed at creation.</b> {@code SEC_COMMIT} charges the whole size against
 *       the commit limit there, so running out of memory fails at creation
 *       ({@code ERROR_COMMITMENT_LIMIT}), never on first touch, and there is no later
 *       {@code reserve}: the seam's {@code createNamedMemory(name, size)} is this backend's create,
 *       and its {@code reserve} only checks the size.</li>
 *   <li><b>No unlink, no tracker.</b> A mapping and its name exist while any process holds a
 *       handle or a view; the kernel frees it with the last one, even when its creator crashed.
 *       Unlinking a name is a no-op here, and nothing can leak past the last process.</li>
 *   <li><b>Sizes are rounded.</b> A view's size as {@code VirtualQuery} reports it (which is how
 *       an opener learns the size, as CPython's {@code shared_memory} does) is the requested size
 *       rounded up to the page size (4 KiB); views start on the 64 KiB allocation granularity.</li>
 *   <li><b>Exclusive create</b> is "create, then look at the error": {@code CreateFileMappingW}
 *       of an existing name opens it and reports {@code ERROR_ALREADY_EXISTS}.</li>
 *   <li>Names may not contain {@code \}; the seam's leading {@code /} is dropped.</li>
 * </ul>
 */
final class WindowsMemory {
    private static final MethodHandle CREATE =
            WindowsNative.capturing(Win32.CreateFileMappingW$address(), Win32.CreateFileMappingW$descriptor());
    private static final MethodHandle OPEN =
            WindowsNative.capturing(Win32.OpenFileMappingW$address(), Win32.OpenFileMappingW$descriptor());
    private static final MethodHandle MAP =
            WindowsNative.capturing(Win32.MapViewOfFile$address(), Win32.MapViewOfFile$descriptor());

    private WindowsMemory() {
    }

    /** {@return the kernel object name for a seam name ({@code /name} → {@code Local\name})} */
    static String objectName(String name) {
        return WindowsMemoryNames.objectName(name);
    }

    /**
     * Creates a mapping of {@code size} bytes, committed now, readable and writable by the
     * current user only.
     *
     * @param name {@code null} for an anonymous mapping, else a seam name (see {@link #objectName})
     * @param size in bytes, at least 1
     * @return the handle, not inheritable
     * @throws IllegalArgumentException if {@code size < 1} or the name is not valid
     * @throws FileAlreadyExistsException if {@code name} exists
     * @throws IOException if the memory cannot be committed ({@code ERROR_COMMITMENT_LIMIT}) or on
     *     any other error
     */
    static Handle create(String name, long size) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1: " + size);
        }
        String object = name == null ? null : objectName(name);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment wide = object == null ? MemorySegment.NULL : scratch.allocateFrom(object, UTF_16LE);
            MemorySegment h = (MemorySegment) CREATE.invokeExact(state, Win32.INVALID_HANDLE_VALUE(),
                    WindowsSecurity.currentUserOnly(), Win32.PAGE_READWRITE() | Win32.SEC_COMMIT(),
                    (int) (size >>> 32), (int) size, wide);
            String call = "CreateFileMappingW(" + (object == null ? "anonymous" : "\"" + object + "\"") + ", " + size + ")";
            if (h.equals(MemorySegment.NULL)) {
                throw WindowsNative.failure(call, state);
            }
            if (object != null && WindowsNative.lastError(state) == Win32.ERROR_ALREADY_EXISTS()) {
                Win32.CloseHandle(h);
                throw new FileAlreadyExistsException(call, null, call + ": the name exists (ERROR_ALREADY_EXISTS)");
            }
            return Handle.of(h.address());
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Opens an existing named mapping read-write.
     *
     * @param name a seam name (see {@link #objectName})
     * @return the handle, not inheritable
     * @throws java.nio.file.NoSuchFileException if no mapping has that name (any more)
     * @throws java.nio.file.AccessDeniedException if this user may not open it
     * @throws IOException on any other error
     */
    static Handle open(String name) throws IOException {
        String object = objectName(name);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) OPEN.invokeExact(state, Win32.FILE_MAP_ALL_ACCESS(), 0,
                    scratch.allocateFrom(object, UTF_16LE));
            if (h.equals(MemorySegment.NULL)) {
                throw WindowsNative.failure("OpenFileMappingW(\"" + object + "\")", state);
            }
            return Handle.of(h.address());
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Maps {@code size} bytes of the mapping into this process; the view is unmapped when
     * {@code arena} closes. The handle may be closed while the view lives.
     *
     * @param memory a handle from {@link #create} or {@link #open}
     * @param size   in bytes, at most the mapping's size
     * @param arena  the view's lifetime
     * @return the view
     * @throws IOException if the view cannot be mapped (for example {@code size} exceeds the mapping)
     */
    static MemorySegment map(Handle memory, long size, Arena arena) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            MemorySegment view = (MemorySegment) MAP.invokeExact(state, MemorySegment.ofAddress(memory.value()),
                    Win32.FILE_MAP_ALL_ACCESS(), 0, 0, size);
            if (view.equals(MemorySegment.NULL)) {
                throw WindowsNative.failure("MapViewOfFile(" + memory + ", " + size + ")", state);
            }
            return view.reinterpret(size, arena, WindowsMemory::unmap);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * {@return the size of the mapping behind {@code memory} as Windows reports it: the created
     * size rounded up to the page size} Maps the whole mapping briefly and asks
     * {@code VirtualQuery}.
     *
     * @throws IOException if it cannot be mapped
     */
    static long size(Handle memory) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment view = map(memory, 0, scratch);   // 0: the whole mapping
            MemorySegment info = MEMORY_BASIC_INFORMATION.allocate(scratch);
            if (Win32.VirtualQuery(view, info, MEMORY_BASIC_INFORMATION.sizeof()) == 0) {
                throw new IOException("VirtualQuery of a view of " + memory + " failed");
            }
            return MEMORY_BASIC_INFORMATION.RegionSize(info);
        }
    }

    private static void unmap(MemorySegment view) {
        Win32.UnmapViewOfFile(view);
    }
}
