package org.multiprocessing4j.internal.launch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.platform.Platform;

/**
 * The command line of a child JVM running {@link ChildMain}, in three parts:
 * <pre>
 * java  BASE_OPTIONS  sharing  native-access  context options  mp4j.childJvmOptions
 *       -cp … / --module-path …  main class  parentPid  mode arguments
 * </pre>
 * {@code sharing} is {@code -Xshare:auto}, or the flags of an {@link AotCache} when one exists
 * for this command. {@link #key()} is the same command without the sharing flags and the pid:
 * two children with equal keys are interchangeable, which is what the forkserver pool and the
 * AOT cache are keyed by.
 *
 * @param arguments the full command line, {@code arguments.get(0)} being the {@code java} launcher
 * @param key what identifies the child's JVM configuration
 */
public record ChildCommand(List<String> arguments, List<String> key) {
    /**
     * Options every child JVM gets before the user's: quick start, small footprint, and a quick
     * exit — by default HotSpot waits up to 300 ms at exit for every thread still inside native
     * code, and a thread blocked in a {@link Connection#recv()} is one (measured: start + join of
     * such a child 345 ms, 34 ms with the option).
     */
    static final List<String> BASE_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData",
            "-XX:UserThreadWaitAttemptsAtExit=0");

    private static final Platform OS = Platform.current();

    public ChildCommand {
        arguments = List.copyOf(arguments);
        key = List.copyOf(key);
    }

    /**
     * {@return the command of a child with the context's {@code jvmOptions}, running {@link
     * ChildMain} in the mode that {@code modeArguments} select (empty: spawn)}
     *
     * @param useAotCache whether to use (and, in the background, create) an {@link AotCache}
     */
    static ChildCommand of(List<String> jvmOptions, List<String> modeArguments,
            boolean useAotCache) {
        return of(jvmOptions, extraOptions(), modeArguments, useAotCache);
    }

    /**
     * {@link #of(List, List, boolean)} with {@code extraOptions} in place of the current value
     * of {@code mp4j.childJvmOptions}: for a caller that must start every child of a
     * configuration with the value it had when the configuration was made.
     */
    static ChildCommand of(List<String> jvmOptions, String extraOptions, List<String> modeArguments,
                           boolean useAotCache) {
        List<String> options = jvmOptions(jvmOptions, extraOptions);
        List<String> launch = launchArguments();
        List<String> jvm = jvmCommand(options, launch);
        List<String> sharing = useAotCache
                ? AotCache.flagsFor(jvm, options, AotCache.Kind.forMode(modeArguments)) : List.of();
        List<String> args = new ArrayList<>();
        args.add(javaExecutable());
        args.addAll(BASE_OPTIONS);
        args.addAll(sharing.isEmpty() ? List.of("-Xshare:auto") : sharing);
        args.addAll(options.subList(BASE_OPTIONS.size(), options.size()));
        args.addAll(launch);
        args.add(Integer.toString(OS.pid()));
        args.addAll(modeArguments);
        List<String> key = new ArrayList<>(jvm);
        key.addAll(modeArguments);
        return new ChildCommand(args, key);
    }

    /** {@return {@code java}, the options, class path / module path and main class} */
    private static List<String> jvmCommand(List<String> options, List<String> launch) {
        List<String> jvm = new ArrayList<>();
        jvm.add(javaExecutable());
        jvm.addAll(options);
        jvm.addAll(launch);
        return jvm;
    }

    /**
     * Builds the start archive of spawned children with the context's {@code jvmOptions} unless
     * it exists; see {@link AotCache#ensure}.
     */
    public static boolean ensureAotCache(List<String> jvmOptions, Duration timeout)
            throws InterruptedException {
        List<String> options = jvmOptions(jvmOptions);
        return AotCache.ensure(jvmCommand(options, launchArguments()), options, AotCache.Kind.CDS,
                timeout);
    }

    /** {@link #of(List, List, boolean)} with the AOT cache unless it is switched off. */
    static ChildCommand of(List<String> jvmOptions, List<String> modeArguments) {
        return of(jvmOptions, modeArguments, AotCache.enabled());
    }

    /**
     * Base options, native access, this JVM's {@link Platform#BACKEND_PROPERTY} if set, the
     * context's options, then {@code mp4j.childJvmOptions}.
     */
    static List<String> jvmOptions(List<String> contextOptions) {
        return jvmOptions(contextOptions, extraOptions());
    }

    /** {@return the system property {@code mp4j.childJvmOptions}, stripped; empty if unset} */
    static String extraOptions() {
        return System.getProperty("mp4j.childJvmOptions", "").strip();
    }

    private static List<String> jvmOptions(List<String> contextOptions, String extra) {
        List<String> cmd = new ArrayList<>(BASE_OPTIONS);
        cmd.add(modular() ? "--enable-native-access=org.multiprocessing4j"
                : "--enable-native-access=ALL-UNNAMED");
        String backend = System.getProperty(Platform.BACKEND_PROPERTY, "").strip();
        if (!backend.isEmpty()) { // a child uses its parent's backend
            cmd.add("-D" + Platform.BACKEND_PROPERTY + "=" + backend);
        }
        cmd.addAll(contextOptions);
        if (!extra.isEmpty()) {
            cmd.addAll(Arrays.asList(extra.split("\\s+")));
        }
        return cmd;
    }

    /** Class path, module path and main class: the same as this JVM's. */
    static List<String> launchArguments() {
        List<String> cmd = new ArrayList<>();
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty()) {
            cmd.add("-cp");
            cmd.add(classPath);
        }
        String modulePath = System.getProperty("jdk.module.path", "");
        if (modular()) {
            cmd.add("--module-path");
            cmd.add(modulePath);
            cmd.add("--add-modules");
            cmd.add("ALL-MODULE-PATH");
            cmd.add("-m");
            cmd.add("org.multiprocessing4j/" + ChildMain.class.getName());
        } else {
            if (!modulePath.isEmpty()) {
                cmd.add("--module-path");
                cmd.add(modulePath);
                cmd.add("--add-modules");
                cmd.add("ALL-MODULE-PATH");
            }
            cmd.add(ChildMain.class.getName());
        }
        return cmd;
    }

    static boolean modular() {
        return ChildCommand.class.getModule().isNamed();
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
