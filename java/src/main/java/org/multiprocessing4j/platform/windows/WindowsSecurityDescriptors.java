package org.multiprocessing4j.platform.windows;

/**
 * The security descriptors of this backend, in SDDL (what
 * {@code ConvertStringSecurityDescriptorToSecurityDescriptorW} reads). Pure: no native call,
 * thread-safe. {@link WindowsSecurity} fills in the current user's SID.
 */
final class WindowsSecurityDescriptors {
    private WindowsSecurityDescriptors() {
    }

    /**
     * {@return {@code D:P(A;;GA;;;<sid>)}: a protected DACL (nothing inherited from a parent
     * object) with one entry, allowing {@code sid} all access (generic all); nobody else, not
     * even administrators or SYSTEM, is granted anything}
     *
     * @param sid a SID in string form, {@code S-1-…}
     * @throws IllegalArgumentException if {@code sid} is not of that form (it would change the
     *     descriptor's meaning)
     */
    static String currentUserOnly(String sid) {
        if (!sid.matches("S-1(-[0-9]+)+")) {
            throw new IllegalArgumentException("not a SID in string form: " + sid);
        }
        return "D:P(A;;GA;;;" + sid + ")";
    }
}
