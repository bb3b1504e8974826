package org.multiprocessing4j.platform;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * A backend's rules for the names of named shared memory ({@link Platform#openNamedMemory}): how
 * long a name may be, which characters a new name may hold, how long the names it generates are,
 * and how the OS shows a name to a user (for messages). Names here are bare: without the leading
 * {@code /} that the {@link Platform} calls take (and that Python's {@code SharedMemory.name}
 * omits too).
 *
 * <p>A new name is 1 to {@link #maxLength()} of the POSIX portable file name characters
 * {@code A-Z a-z 0-9 . _ -}, and neither {@code "."} nor {@code ".."}: every tool, Python and
 * the reaper ({@link Reaper}) read it as one word. Generated names are a prefix followed by
 * random URL-safe base64 characters, {@link #generatedLength()} characters in all: a backend
 * whose OS has short names (macOS: 31 bytes with the {@code /}) generates short ones, as CPython
 * does (14 characters with the {@code /}, so that a user's prefix still fits).
 *
 * <p>Immutable and thread-safe.
 */
public final class MemoryNames {
    /**
     * The rules every POSIX.1-2017 system accepts, macOS included: 30 characters after the
     * {@code /} ({@code PSHMNAMLEN} is 31 there), generated names of 13 (CPython's 14 with the
     * {@code /}); the OS shows a name as {@code /name}.
     */
    public static final MemoryNames PORTABLE = new MemoryNames(30, 13, "");

    /** Random characters a generated name has at least (6 bits each). */
    public static final int MIN_RANDOM_CHARACTERS = 8;

    /**
     * The generator of names, created on the first name generated: a {@link SecureRandom} brings
     * up the security providers, which cost every child process tens of milliseconds of its start
     * if done when the backend is loaded, and most children never name memory.
     */
    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    private final int maxLength;
    private final int generatedLength;
    private final String directory;

    /**
     * Rules with these limits.
     *
     * @param maxLength the longest bare name the OS accepts, at least 1
     * @param generatedLength the length of generated names, at most {@code maxLength}
     * @param directory what the OS puts before {@code /name} when it shows a name to a user
     *     (Linux: the tmpfs directory where the C library keeps them); empty if it shows {@code /name} itself
     * @throws IllegalArgumentException if the lengths do not fit each other
     */
    public MemoryNames(int maxLength, int generatedLength, String directory) {
        if (maxLength < 1 || generatedLength < 1 || generatedLength > maxLength) {
            throw new IllegalArgumentException("name lengths: max " + maxLength + ", generated "
                    + generatedLength);
        }
        this.maxLength = maxLength;
        this.generatedLength = generatedLength;
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** {@return the longest bare name the OS accepts, in characters} */
    public int maxLength() {
        return maxLength;
    }

    /** {@return the length of the names {@link #generate} makes} */
    public int generatedLength() {
        return generatedLength;
    }

    /**
     * {@return whether {@code name} may be given to a new block: 1 to {@link #maxLength()} of
     * {@code A-Z a-z 0-9 . _ -}, and neither {@code "."} nor {@code ".."}}
     */
    public boolean isValid(String name) {
        if (name.isEmpty() || name.length() > maxLength || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isPortable(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@return whether {@code c} is one of the POSIX portable file name characters} */
    public static boolean isPortable(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
    }

    /**
     * {@return the rule {@link #isValid} applies, for messages: for example {@code "1 to 255 of
     * the characters A-Z a-z 0-9 . _ -, not \".\" or \"..\""}}
     */
    public String rule() {
        return "1 to " + maxLength + " of the characters A-Z a-z 0-9 . _ -, not \".\" or \"..\"";
    }

    /**
     * {@return a new random name: {@code prefix} followed by URL-safe base64 characters from
     * {@link SecureRandom}, {@link #generatedLength()} characters in all} Names collide with a
     * probability of 2<sup>-6r</sup> for r random characters; a caller creates with
     * {@code O_EXCL} and tries another name on a collision.
     *
     * @throws IllegalArgumentException if {@code prefix} is not made of valid characters or
     *     leaves fewer than {@link #MIN_RANDOM_CHARACTERS} random ones
     */
    public String generate(String prefix) {
        int random = generatedLength - prefix.length();
        if (random < MIN_RANDOM_CHARACTERS || !prefix.chars().allMatch(c -> isPortable((char) c))) {
            throw new IllegalArgumentException("prefix '" + prefix + "' for generated names of "
                    + generatedLength + " characters: portable characters only, at most "
                    + (generatedLength - MIN_RANDOM_CHARACTERS) + " of them");
        }
        byte[] bits = new byte[(random * 6 + 7) / 8];
        Random.INSTANCE.nextBytes(bits);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bits).substring(0, random);
    }

    /** {@return how the OS shows the block {@code name} (bare) to a user, for messages: the
     * directory and {@code /name}} */
    public String describe(String name) {
        return directory + "/" + name;
    }

    @Override
    public String toString() {
        return "MemoryNames[max " + maxLength + ", generated " + generatedLength + ", shown as "
                + describe("<name>") + "]";
    }
}
