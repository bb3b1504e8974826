package org.multiprocessing4j.internal.connection;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.multiprocessing4j.AuthenticationException;

/**
 * The bytes of CPython's {@code multiprocessing.connection} challenge/response handshake, both
 * dialects (see {@code deliver_challenge}/{@code answer_challenge} in CPython's
 * {@code Lib/multiprocessing/connection.py}):
 *
 * <ul>
 *   <li>3.12+: the challenge is {@code #CHALLENGE#{sha256}} + 40 random bytes; the answer is
 *       {@code {digest}} + HMAC-digest(key, everything after {@code #CHALLENGE#}), the MAC
 *       covering the digest prefix, so it cannot be downgraded.</li>
 *   <li>3.11 and older ("legacy"): the challenge is {@code #CHALLENGE#} + 20 random bytes and the
 *       answer the raw 16-byte HMAC-MD5. Accepted, and answered, only when enabled.</li>
 * </ul>
 *
 * Both sides challenge each other (the server first). Every handshake message is at most
 * {@value #MAX_MESSAGE} bytes; MACs are compared in constant time.
 */
public final class Handshake {
    public static final byte[] CHALLENGE = ascii("#CHALLENGE#");
    public static final byte[] WELCOME = ascii("#WELCOME#");
    public static final byte[] FAILURE = ascii("#FAILURE#");
    public static final int MAX_MESSAGE = 256;
    private static final int MESSAGE_LENGTH = 40;
    private static final int LEGACY_MESSAGE_LENGTH = 20;
    private static final int MD5_LENGTH = 16;
    private static final String PREFERRED = "sha256";
    /** CPython's _ALLOWED_DIGESTS, as JCA algorithm names. */
    private static final Map<String, String> DIGESTS = Map.of(
            "md5", "HmacMD5", "sha256", "HmacSHA256", "sha384", "HmacSHA384",
            "sha3_256", "HmacSHA3-256", "sha3_384", "HmacSHA3-384");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Handshake() {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@return a fresh challenge message (what follows {@code #CHALLENGE#})} */
    public static byte[] newMessage() {
        byte[] random = new byte[MESSAGE_LENGTH];
        RANDOM.nextBytes(random);
        return concat(ascii("{" + PREFERRED + "}"), random);
    }

    /** {@return the whole challenge frame for {@code message}} */
    public static byte[] challengeFrame(byte[] message) {
        return concat(CHALLENGE, message);
    }

    /**
     * Answers a challenge frame received from the other side.
     *
     * @return the response to send
     * @throws AuthenticationException if the frame is not a challenge this side accepts
     */
    public static byte[] respond(byte[] key, byte[] frame, boolean legacy)
            throws AuthenticationException {
        if (!startsWith(frame, CHALLENGE)) {
            throw new AuthenticationException("protocol error: expected a challenge, got "
                    + frame.length + " other bytes");
        }
        byte[] message = Arrays.copyOfRange(frame, CHALLENGE.length, frame.length);
        if (message.length < LEGACY_MESSAGE_LENGTH) {
            throw new AuthenticationException("challenge too short: " + message.length + " bytes");
        }
        if (message.length == LEGACY_MESSAGE_LENGTH) {
            requireLegacy(legacy, "challenged with");
            return mac("md5", key, message);
        }
        String digest = digestName(message);
        if (digest == null) {
            throw new AuthenticationException("challenge without a supported {digest} prefix");
        }
        if (digest.equals("md5")) {
            requireLegacy(legacy, "challenged with");
        }
        return concat(ascii("{" + digest + "}"), mac(digest, key, message));
    }

    /**
     * Checks the other side's response to {@code message}.
     *
     * @throws AuthenticationException if it is wrong, or uses a digest this side does not accept
     */
    public static void verify(byte[] key, byte[] message, byte[] response, boolean legacy)
            throws AuthenticationException {
        String digest;
        byte[] mac;
        if (response.length == MD5_LENGTH || response.length == LEGACY_MESSAGE_LENGTH) {
            digest = "md5";
            mac = response;
        } else {
            digest = digestName(response);
            if (digest == null) {
                throw new AuthenticationException("response without a supported {digest} prefix ("
                        + response.length + " bytes)");
            }
            mac = Arrays.copyOfRange(response, digest.length() + 2, response.length);
        }
        if (digest.equals("md5")) {
            requireLegacy(legacy, "answered with");
        }
        byte[] expected = mac(digest, key, message);
        if (!MessageDigest.isEqual(expected, mac)) { // constant time for equal lengths
            throw new AuthenticationException("digest received was wrong (different authkey?)");
        }
    }

    private static void requireLegacy(boolean legacy, String how) throws AuthenticationException {
        if (!legacy) {
            throw new AuthenticationException("the peer " + how + " legacy HMAC-MD5 (CPython 3.11"
                    + " or older); accept it explicitly with acceptLegacyMd5(true)");
        }
    }

    /** {@return the name in a {@code {name}} prefix if it is an allowed digest, else null} */
    private static String digestName(byte[] m) {
        if (m.length < 2 || m[0] != '{') {
            return null;
        }
        for (int i = 1; i < Math.min(m.length, 12); i++) {
            if (m[i] == '}') {
                String name = new String(m, 1, i - 1, StandardCharsets.US_ASCII);
                return DIGESTS.containsKey(name) ? name : null;
            }
        }
        return null;
    }

    private static byte[] mac(String digest, byte[] key, byte[] message)
            throws AuthenticationException {
        String algorithm = DIGESTS.get(digest);
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new AuthenticationException("digest " + digest + " is not available here", e);
        }
    }

    /**
     * {@return the dialect of a challenge frame received: {@code legacy} (CPython 3.11 and older:
     * 20 random bytes, answered with HMAC-MD5) or {@code digest}} For the handshake event.
     */
    public static String challengeDialect(byte[] frame) {
        return frame.length - CHALLENGE.length == LEGACY_MESSAGE_LENGTH ? "legacy" : "digest";
    }

    /**
     * {@return the dialect of a response received: {@code legacy} (a raw HMAC-MD5) or
     * {@code digest}} For the handshake event.
     */
    public static String responseDialect(byte[] response) {
        return response.length == MD5_LENGTH || response.length == LEGACY_MESSAGE_LENGTH
                ? "legacy" : "digest";
    }

    public static boolean startsWith(byte[] b, byte[] prefix) {
        return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** {@return a copy of a key, checked} @throws IllegalArgumentException if empty */
    public static byte[] checkKey(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("an authkey must not be empty");
        }
        return key.clone();
    }
}
