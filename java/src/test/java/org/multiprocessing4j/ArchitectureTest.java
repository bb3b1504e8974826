package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The layering rules of ARCHITECTURE.md, checked on the sources. */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final String BINDINGS = "org.multiprocessing4j.platform.linux.bindings";

    @Test
    void onlyTheLinuxBackendUsesTheGeneratedBindings() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Files.walk(MAIN)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.startsWith(MAIN.resolve("org/multiprocessing4j/platform/linux")))
                    .filter(p -> read(p).contains(BINDINGS))
                    .map(Path::toString).toList();
        }
        assertTrue(Files.isDirectory(MAIN), "run from the java module directory");
        assertEquals(List.of(), offenders);
    }

    @Test
    void thePublicApiNeverTouchesABackend() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Files.list(MAIN.resolve("org/multiprocessing4j"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> read(p).contains("org.multiprocessing4j.platform.linux"))
                    .map(Path::toString).toList();
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void theModuleExportsOnlyThePublicApi() {
        Module m = Connection.class.getModule();
        if (m.isNamed()) {
            assertEquals(java.util.Set.of("org.multiprocessing4j"),
                    m.getDescriptor().exports().stream().map(e -> e.source())
                            .collect(java.util.stream.Collectors.toSet()));
        } else {
            String info = read(MAIN.resolve("module-info.java"));
            assertEquals(1, info.lines().filter(l -> l.strip().startsWith("exports")).count(), info);
            assertTrue(info.contains("exports org.multiprocessing4j;"), info);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
