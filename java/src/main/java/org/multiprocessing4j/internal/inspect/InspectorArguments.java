package org.multiprocessing4j.internal.inspect;

import java.util.List;

/**
 * The inspector's command line, parsed by hand (no dependency): a command, its operand and the
 * options, which may come before or after the command.
 *
 * <pre>
 * mp4j [--json] [--backend NAME] ls    [--prefix P]
 * mp4j [--json] [--backend NAME] show  NAME
 * mp4j [--json] [--backend NAME] clean [--dry-run] [--unmapped] [--prefix P]
 * mp4j help
 * </pre>
 *
 * @param command what to do
 * @param name the operand of {@code show} (bare: a leading {@code /} is removed), else {@code null}
 * @param json whether to print JSON instead of text
 * @param backend the backend to run ({@code -Dmp4j.platform}), or {@code null} for the default
 * @param prefix only names that start with it ({@code ls}, {@code clean}); empty for all
 * @param dryRun {@code clean}: say what would be removed, remove nothing
 * @param unmapped {@code clean}: also remove blocks without a recorded creator that no process
 *     maps or holds
 */
public record InspectorArguments(Command command, String name, boolean json, String backend,
        String prefix, boolean dryRun, boolean unmapped) {

    /** The commands. */
    public enum Command {
        /** List every named object. */
        LS,
        /** Show one object in full. */
        SHOW,
        /** Remove orphans. */
        CLEAN,
        /** Print the usage. */
        HELP
    }

    /** The usage text. */
    public static final String USAGE = """
            usage: mp4j [--json] [--backend linux|posix] COMMAND
              ls    [--prefix P]                    list this user's named queues, locks, semaphores,
                                                    events, conditions, barriers, shared values,
                                                    shared memory blocks and ShareableLists
              show  NAME                            one object in full
              clean [--dry-run] [--unmapped] [--prefix P]
                                                    remove objects whose creator is dead and that no
                                                    process maps or holds; --unmapped also removes
                                                    blocks without a recorded creator that no process
                                                    maps or holds (shared memory, ShareableList)
              help                                  this text
            exit status: 0 done, 1 failed, 2 bad usage, 3 this backend cannot list named memory
            """;

    /** A command line that cannot be parsed; its message says what is wrong. */
    public static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /**
         * A usage error.
         *
         * @param message what is wrong
         */
        public UsageException(String message) {
            super(message);
        }
    }

    /**
     * Parses a command line.
     *
     * @param args the arguments after the program name
     * @return the parsed command
     * @throws UsageException if an option is unknown or misplaced, an operand is missing or
     *     extra, or no command is given
     */
    public static InspectorArguments parse(List<String> args) {
        Command command = null;
        String name = null;
        boolean json = false;
        String backend = null;
        String prefix = "";
        boolean dryRun = false;
        boolean unmapped = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--json" -> json = true;
                case "--dry-run" -> dryRun = true;
                case "--unmapped" -> unmapped = true;
                case "--backend", "--prefix" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException(a + " needs a value");
                    }
                    String v = args.get(++i);
                    if (a.equals("--backend")) {
                        backend = v;
                    } else {
                        prefix = bare(v);
                    }
                }
                case "-h", "--help" -> command = set(command, Command.HELP, a);
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option " + a);
                    }
                    if (command == null) {
                        command = switch (a) {
                            case "ls", "list" -> Command.LS;
                            case "show" -> Command.SHOW;
                            case "clean" -> Command.CLEAN;
                            case "help" -> Command.HELP;
                            default -> throw new UsageException("unknown command '" + a
                                    + "' (ls, show, clean, help)");
                        };
                    } else if (command == Command.SHOW && name == null) {
                        name = bare(a);
                        if (name.isEmpty()) {
                            throw new UsageException("show: an empty name");
                        }
                    } else {
                        throw new UsageException("unexpected argument '" + a + "'");
                    }
                }
            }
        }
        if (command == null) {
            throw new UsageException("no command given (ls, show, clean, help)");
        }
        if (command == Command.SHOW && name == null) {
            throw new UsageException("show: which name?");
        }
        if ((dryRun || unmapped) && command != Command.CLEAN) {
            throw new UsageException((dryRun ? "--dry-run" : "--unmapped") + " is an option of clean");
        }
        if (!prefix.isEmpty() && command != Command.LS && command != Command.CLEAN) {
            throw new UsageException("--prefix is an option of ls and clean");
        }
        return new InspectorArguments(command, name, json, backend, prefix, dryRun, unmapped);
    }

    private static Command set(Command had, Command now, String arg) {
        if (had != null && had != now) {
            throw new UsageException("unexpected argument '" + arg + "'");
        }
        return now;
    }

    /** A name as the OS calls take it after the {@code /}: one leading {@code /} removed. */
    private static String bare(String name) {
        return name.startsWith("/") ? name.substring(1) : name;
    }
}
