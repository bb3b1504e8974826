package org.multiprocessing4j.platform.windows;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryFlag;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import org.multiprocessing4j.platform.PrivateFiles;

/**
 * Private files on Windows: an owner-only ACL in place of modes 0700/0600. A directory or file
 * is created with one access-control entry, allowing this user everything (inherited by what a
 * directory will hold), given at creation through the JDK's {@code acl:acl} attribute (Windows
 * sets the security descriptor in the same {@code CreateDirectoryW}/{@code CreateFileW} call), so
 * it is never readable by others, not even for a moment. The runtime directory is
 * {@code java.io.tmpdir} (per user on Windows: {@code %LOCALAPPDATA%\Temp}). A file's identity
 * ({@link #fileId}) is its creation time in 100 ns units: NTFS has file ids, but the JDK does not
 * expose them ({@code fileKey()} is null on Windows), and nothing on Windows compares them (the
 * reaper does nothing here). Thread-safe (stateless). Unproven (see the package comment).
 */
final class WindowsFiles implements PrivateFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public Path runtimeDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static FileAttribute<List<AclEntry>> ownerOnly(boolean directory) throws IOException {
        UserPrincipal me = FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        AclEntry.Builder entry = AclEntry.newBuilder().setType(AclEntryType.ALLOW).setPrincipal(me)
                .setPermissions(EnumSet.allOf(AclEntryPermission.class));
        if (directory) {
            entry.setFlags(AclEntryFlag.FILE_INHERIT, AclEntryFlag.DIRECTORY_INHERIT);
        }
        List<AclEntry> acl = List.of(entry.build());
        return new FileAttribute<>() {
            @Override
            public String name() {
                return "acl:acl";
            }

            @Override
            public List<AclEntry> value() {
                return acl;
            }
        };
    }

    @Override
    public Path createDirectory(Path parent, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            byte[] bits = new byte[8];
            RANDOM.nextBytes(bits);
            Path dir = parent.resolve(prefix + HexFormat.of().formatHex(bits));
            try {
                return Files.createDirectory(dir, ownerOnly(true));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 16) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(absolute, ownerOnly(true));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
    }

    @Override
    public void createFile(Path file) throws IOException {
        Files.createFile(file, ownerOnly(false));
    }

    @Override
    public void restrict(Path file) throws IOException {
        AclFileAttributeView view = Files.getFileAttributeView(file, AclFileAttributeView.class);
        if (view == null) {
            throw new IOException("no ACLs on the file system of " + file);
        }
        view.setAcl(ownerOnly(false).value());
    }

    @Override
    public long fileId(Path path) throws IOException {
        java.nio.file.attribute.FileTime created = (java.nio.file.attribute.FileTime) Files.getAttribute(path, "creationTime");
        return created.to(java.util.concurrent.TimeUnit.MICROSECONDS) * 10;
    }

    @Override
    public Path nullDevice() {
        return Path.of("NUL");
    }
}
