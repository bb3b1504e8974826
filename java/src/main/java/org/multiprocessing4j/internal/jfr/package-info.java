/**
 * JDK Flight Recorder events of the library, all named {@code org.multiprocessing4j.*} and in the
 * category {@code multiprocessing4j}: {@link org.multiprocessing4j.internal.jfr.ChildStartEvent},
 * {@link org.multiprocessing4j.internal.jfr.ChildExitEvent},
 * {@link org.multiprocessing4j.internal.jfr.PoolWorkerDeathEvent},
 * {@link org.multiprocessing4j.internal.jfr.PoolTaskEvent},
 * {@link org.multiprocessing4j.internal.jfr.LockOwnerDiedEvent},
 * {@link org.multiprocessing4j.internal.jfr.QueueClaimRecoveredEvent},
 * {@link org.multiprocessing4j.internal.jfr.QueueBlockedEvent},
 * {@link org.multiprocessing4j.internal.jfr.SyncWaitEvent} and
 * {@link org.multiprocessing4j.internal.jfr.ConnectionHandshakeEvent}. The settings file
 * {@code multiprocessing4j.jfc} next to them in the jar enables them all; a recording started
 * with the JDK's {@code default} or {@code profile} settings enables them too (each event is
 * enabled by default, as {@code @Enabled} defaults to true), with the same thresholds: the two
 * waiting events carry {@code @Threshold("20 ms")}, as the JDK's monitor and park events have
 * in its {@code default} settings.
 *
 * <p>Waiting events ({@code QueueBlocked}, {@code SyncWait}, {@code ConnectionHandshake}) are
 * begun with {@code begin()} where the wait starts to sleep and ended where it ends, with a
 * static {@code started()}/{@code finish(...)} pair on the event class: {@code started()} returns
 * {@code null} unless a recording enables the event, and {@code finish} of {@code null} does
 * nothing, so each hook is a line at the start and a line at the end of the wait. A child JVM
 * records its own events when it runs with a recording of its own (a
 * {@code -XX:StartFlightRecording} among its JVM options, with {@code %p} in the file name).
 *
 * <p>Internal, not a public {@code org.multiprocessing4j.jfr}: users configure events by name in
 * a recording's settings, never through a Java type, so nothing here is API and the module keeps
 * exporting only {@code org.multiprocessing4j}. JFR reads the events of a package it is not
 * exported to (the module only {@code requires jdk.jfr}).
 *
 * <p>Cost when no recording runs: each event class holds one shared, never committed instance
 * ({@code PROBE}) whose {@link jdk.jfr.Event#isEnabled()} the hook asks first; an event object is
 * allocated only while a recording has the event enabled. Each event is emitted at the one place
 * its occurrence is decided, in the parent (or the process that observed it); the class comments
 * name that place and say exactly what a duration measures.
 *
 * <p>Not API: the module does not export this package. It uses nothing of the library.
 */
package org.multiprocessing4j.internal.jfr;
