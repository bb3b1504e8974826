/**
 * A task on its way to a child: the task stream in its compact or serialized form
 * ({@link org.multiprocessing4j.internal.task.TaskStreams}), the shapes lambdas travel as and are
 * rebuilt from ({@link org.multiprocessing4j.internal.task.TaskLambdas}), and the objects that
 * travel as inherited descriptors rather than bytes
 * ({@link org.multiprocessing4j.internal.task.Inheritable}).
 *
 * <p>Invariants: a resource captured twice travels once; an unserializable capture fails in the
 * caller's thread, before any process starts; the stream is trusted because it only ever arrives
 * over the inherited bootstrap socket. ARCHITECTURE.md, "How objects travel to children".
 *
 * <p>Not API: the module does not export this package. It may use the public package and the
 * {@code platform} seam, never a backend; it reaches package-private parts of public types only
 * through {@link org.multiprocessing4j.internal.Access}.
 */
package org.multiprocessing4j.internal.task;
