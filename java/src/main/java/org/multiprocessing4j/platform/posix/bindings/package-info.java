/**
 * jextract-generated FFM bindings for the POSIX.1-2017 calls, constants and structs of the
 * portable {@code posix} backend: header class {@code Posix} here (code identical on every
 * supported target), {@code PosixArch} in the {@code x86_64} and {@code aarch64} subpackages
 * (struct layouts and constants that differ: {@code pthread_mutex_t}, {@code sem_t},
 * {@code struct stat}, a few {@code O_}/{@code F_} values).
 *
 * <p>Generated, never edited: change {@code native/posix/posix.h} or an allow-list in
 * {@code native/posix/} and run {@code scripts/jextract} (see {@code native/README.md});
 * {@code scripts/jextract --check} verifies that this tree matches its inputs. This file is the
 * only hand-written one here, and the script keeps it. Imported only by {@code platform.posix}
 * and {@code platform.linux}. The generated downcalls do not capture {@code errno}: callers
 * build their own handle from {@code X$address()} and {@code X$descriptor()} with
 * {@code Linker.Option.captureCallState("errno")}.
 */
package org.multiprocessing4j.platform.posix.bindings;
