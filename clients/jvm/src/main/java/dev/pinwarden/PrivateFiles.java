package dev.pinwarden;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The cache on disk: a private directory per app (0700, a link refused), state files 0600 written
 * through a temporary file of unpredictable name created exclusively, synced, renamed, and the
 * directory synced. java.nio.file is used where the platform has it (the JVM, Android 8+), else
 * java.io (Android 7).
 */
final class PrivateFiles {
    private PrivateFiles() {}

    private static final boolean NIO = hasNio();

    private static boolean hasNio() {
        try {
            Class.forName("java.nio.file.Files");
            Class.forName("java.nio.file.attribute.PosixFilePermissions");
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The app's directory under {@code root}: the app name when plain, else a hash of it. */
    static File appDir(File root, String app) throws IOException {
        boolean plain = !app.isEmpty() && !app.equals(".") && !app.equals("..");
        for (int k = 0; plain && k < app.length(); k++) {
            char c = app.charAt(k);
            plain = Bytes.isAsciiAlnum(c) || c == '-' || c == '_' || c == '.';
        }
        String name = plain ? app : Bytes.hex(Bytes.sha256(Bytes.utf8(app)), 16);
        File dir = new File(root, name);
        if (!dir.exists() && !isLink(dir)) {
            if (!dir.mkdirs() && !dir.isDirectory()) throw new IOException(dir + ": can't create it");
            makePrivate(dir, true);
        }
        if (isLink(dir) || !dir.isDirectory()) {
            throw new IOException(dir + ": not a directory (a symbolic link is refused)");
        }
        makePrivate(dir, true);
        return dir;
    }

    static boolean isLink(File f) {
        if (NIO) {
            try {
                return Nio.isLink(f);
            } catch (Throwable ignored) {
                // fall through
            }
        }
        try {
            File parent = f.getAbsoluteFile().getParentFile();
            if (parent == null) return false;
            File expected = new File(parent.getCanonicalFile(), f.getName());
            return !expected.getPath().equals(f.getCanonicalFile().getPath());
        } catch (IOException e) {
            return true;
        }
    }

    static void makePrivate(File f, boolean dir) throws IOException {
        if (NIO) {
            try {
                Nio.makePrivate(f, dir);
                return;
            } catch (UnsupportedOperationException e) {
                // not POSIX: fall through
            } catch (NoClassDefFoundError e) {
                // fall through
            }
        }
        boolean ok = f.setReadable(false, false) & f.setWritable(false, false) & f.setExecutable(false, false)
                & f.setReadable(true, true) & f.setWritable(true, true);
        if (dir) ok &= f.setExecutable(true, true);
        if (!ok) throw new IOException(f + ": can't make it private");
    }

    /** The bytes of a regular file; null when there is none; an error for a link or worse. */
    static byte[] read(File f, int max) throws IOException {
        if (!f.exists() && !isLink(f)) return null;
        if (isLink(f) || !f.isFile()) throw new IOException(f + ": not a regular file (a link?): ignored");
        long len = f.length();
        if (len > max) throw new IOException(f + ": " + len + " bytes, more than " + max);
        RandomAccessFile in = new RandomAccessFile(f, "r");
        try {
            byte[] out = new byte[(int) len];
            in.readFully(out);
            return out;
        } finally {
            in.close();
        }
    }

    /** Replaces {@code target} atomically with {@code bytes} (see the class comment). */
    static void writeAtomic(File target, byte[] bytes) throws IOException {
        File dir = target.getAbsoluteFile().getParentFile();
        File tmp = new File(dir, "." + target.getName() + "." + Bytes.randomHex(16) + ".tmp");
        boolean done = false;
        try {
            if (NIO) {
                Nio.writeNew(tmp, bytes);
            } else {
                // createNewFile is open(O_CREAT | O_EXCL): never through an existing file or link.
                if (!tmp.createNewFile()) throw new IOException(tmp + " exists");
                makePrivate(tmp, false);
                FileOutputStream out = new FileOutputStream(tmp);
                try {
                    out.write(bytes);
                    out.flush();
                    out.getFD().sync();
                } finally {
                    out.close();
                }
            }
            if (NIO) {
                Nio.syncAndMove(tmp, target);
            } else if (!tmp.renameTo(target)) {
                throw new IOException("can't rename " + tmp + " to " + target);
            }
            done = true;
            if (NIO) Nio.syncDir(dir);
        } finally {
            if (!done) tmp.delete();
        }
    }

    private static final ConcurrentHashMap<String, ReentrantLock> LOCKS = new ConcurrentHashMap<String, ReentrantLock>();

    /** An exclusive lock on {@code dir}, across threads and processes. */
    static final class DirLock implements java.io.Closeable {
        private final ReentrantLock local;
        private final RandomAccessFile file;
        private final FileLock lock;

        DirLock(File dir) throws IOException {
            String key = dir.getCanonicalPath();
            ReentrantLock l = LOCKS.get(key);
            if (l == null) {
                LOCKS.putIfAbsent(key, new ReentrantLock());
                l = LOCKS.get(key);
            }
            local = l;
            local.lock();
            RandomAccessFile f = null;
            try {
                File lockFile = new File(dir, ".lock");
                if (isLink(lockFile)) throw new IOException(lockFile + " is a link");
                f = new RandomAccessFile(lockFile, "rw");
                FileChannel ch = f.getChannel();
                lock = ch.lock();
                file = f;
            } catch (IOException | RuntimeException e) {
                if (f != null) f.close();
                local.unlock();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                file.close();
            } finally {
                local.unlock();
            }
        }
    }

    /** The java.nio.file side, loaded only where it exists. */
    static final class Nio {
        private Nio() {}

        static boolean isLink(File f) {
            return java.nio.file.Files.isSymbolicLink(f.toPath());
        }

        static void makePrivate(File f, boolean dir) throws IOException {
            java.nio.file.Path p = f.toPath();
            java.util.Set<java.nio.file.attribute.PosixFilePermission> want =
                    java.nio.file.attribute.PosixFilePermissions.fromString(dir ? "rwx------" : "rw-------");
            java.util.Set<java.nio.file.attribute.PosixFilePermission> have =
                    java.nio.file.Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!have.equals(want)) java.nio.file.Files.setPosixFilePermissions(p, want);
        }

        /** Creates {@code f} exclusively (never through a link), 0600, writes and syncs it. */
        static void writeNew(File f, byte[] bytes) throws IOException {
            java.nio.file.Path p = f.toPath();
            java.util.Set<java.nio.file.OpenOption> opts = new java.util.HashSet<java.nio.file.OpenOption>();
            opts.add(java.nio.file.StandardOpenOption.CREATE_NEW);
            opts.add(java.nio.file.StandardOpenOption.WRITE);
            opts.add(java.nio.file.LinkOption.NOFOLLOW_LINKS);
            FileChannel ch;
            try {
                ch = FileChannel.open(p, opts, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                ch = FileChannel.open(p, opts);
            }
            try {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            } finally {
                ch.close();
            }
        }

        static void syncAndMove(File from, File to) throws IOException {
            java.nio.file.Files.move(from.toPath(), to.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        static void syncDir(File dir) {
            try {
                FileChannel ch = FileChannel.open(dir.toPath(), java.nio.file.StandardOpenOption.READ);
                try {
                    ch.force(true);
                } finally {
                    ch.close();
                }
            } catch (IOException | RuntimeException ignored) {
                // Not every platform syncs a directory.
            }
        }
    }
}
