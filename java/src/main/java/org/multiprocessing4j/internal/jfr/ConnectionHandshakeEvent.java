package org.multiprocessing4j.internal.jfr;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The authkey handshake of a connection (CPython's mutual challenge and response), emitted once
 * per handshake when it ends, on each side that ran it: a {@code Listener} for each client it
 * accepted (from the accept to the last message; a handshake dropped for its deadline or to make
 * room included), a {@code Client} from the first message it read to the last it sent
 * (connecting is not included). Connections without an authkey have no handshake and no event.
 *
 * <p>Zero cost without a recording: the hook gets {@code null} from {@link #started()},
 * allocating nothing and reading no clock.
 */
@Name("org.multiprocessing4j.ConnectionHandshake")
@Label("Connection Handshake")
@Category({"multiprocessing4j", "Connections"})
@Description("The authkey handshake of a Listener's or a Client's connection: protocol and result")
@StackTrace(false)
public final class ConnectionHandshakeEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final ConnectionHandshakeEvent PROBE = new ConnectionHandshakeEvent();

    /** {@code listener} or {@code client}: which side this process was. */
    @Label("Side")
    public String side;

    /**
     * The listener's address: the one the client connected to, on both sides (a listener does
     * not learn its clients' addresses).
     */
    @Label("Address")
    public String address;

    /** {@code unix}, {@code inet} or {@code inet6}. */
    @Label("Address Family")
    public String family;

    /**
     * The peer's dialect: {@code digest} (CPython 3.12+, a named HMAC digest), {@code legacy}
     * (3.11 and older, HMAC-MD5), or null if it sent nothing that tells.
     */
    @Label("Protocol")
    public String protocol;

    /**
     * {@code ok}; {@code refused} when a side did not accept the other's answer to its challenge
     * (a different authkey, or an HMAC-MD5 answer without {@code acceptLegacyMd5}); {@code failed}
     * for anything else (the peer closed the connection, a protocol error, a challenge this side
     * would not answer, the deadline, an I/O error).
     */
    @Label("Result")
    public String result;

    /** Why it was refused or failed, else null. */
    @Label("Reason")
    public String reason;

    /** {@return a begun event if a recording enables this event, else {@code null}} */
    public static ConnectionHandshakeEvent started() {
        if (!PROBE.isEnabled()) {
            return null;
        }
        ConnectionHandshakeEvent event = new ConnectionHandshakeEvent();
        event.begin();
        return event;
    }

    /** Ends and commits {@code event} with these fields; nothing if it is {@code null}. */
    public static void finish(ConnectionHandshakeEvent event, String side, SocketAddress address,
            String protocol, String result, String reason) {
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.side = side;
            event.address = String.valueOf(address);
            event.family = address instanceof UnixDomainSocketAddress ? "unix"
                    : address instanceof InetSocketAddress i && i.getAddress() instanceof java.net.Inet6Address
                    ? "inet6" : address instanceof InetSocketAddress ? "inet" : null;
            event.protocol = protocol;
            event.result = result;
            event.reason = reason;
            event.commit();
        }
    }
}
