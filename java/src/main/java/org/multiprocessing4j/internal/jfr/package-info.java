/**
 * JDK Flight Recorder events of the library, all named {@code org.multiprocessing4j.*} and in the
 * category {@code multiprocessing4j}: {@link org.multiprocessing4j.internal.jfr.ChildStartEvent},
 * {@link org.multiprocessing4j.internal.jfr.ChildExitEvent},
 * {@link org.multiprocessing4j.internal.jfr.PoolWorkerDeathEvent},
 * {@link org.multiprocessing4j.internal.jfr.PoolTaskEvent},
 * {@link org.multiprocessing4j.internal.jfr.LockOwnerDiedEvent} and
 * {@link org.multiprocessing4j.internal.jfr.QueueClaimRecoveredEvent}. The settings file
 * {@code multiprocessing4j.jfc} next to them in the jar enables them all; a recording started
 * with the JDK's {@code default} or {@code profile} settings enables them too (each event is
 * enabled by default, as {@code @Enabled} defaults to true).
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
