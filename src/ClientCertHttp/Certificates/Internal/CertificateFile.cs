using ClientCertHttp.DependencyInjection;


namespace ClientCertHttp.Certificates;

/// <summary>Reads a configured certificate file and turns I/O failures into typed errors naming the file.</summary>
internal static class CertificateFile
{
    // Certificate files are kilobytes; a cap keeps a misconfigured path (a log file, a disk image) from being read whole.
    internal const long MaxFileSize = 4 * 1024 * 1024;

    public static string ResolvePath(string path) => System.IO.Path.GetFullPath(path);

    public static byte[] ReadAllBytes(SettingNames names, string settingKey, string fullPath, string kind = "certificate file")
    {
        try
        {
            var info = new FileInfo(fullPath);
            if (Directory.Exists(fullPath))
            {
                throw Unreadable(names, settingKey, fullPath, "it is a folder, not a file");
            }

            if (!info.Exists)
            {
                throw new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.FileNotFound,
                    $"{names.Prefix}: the file '{fullPath}' ({settingKey}) does not exist. Check the path; a relative path is resolved against the current directory '{Environment.CurrentDirectory}'.",
                    fullPath);
            }

            if (info.Length == 0)
            {
                // .NET does not expose the file type, but FIFOs, character and block devices and /proc files all
                // report size 0, and opening a FIFO blocks until a writer comes: refused before it is opened.
                throw new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.FileUnreadable,
                    $"{names.Prefix}: the file '{fullPath}' ({settingKey}) is empty or not a regular file (a FIFO, a device or a /proc file reports no size). Point the setting at the {kind} itself.",
                    fullPath);
            }

            if (info.Length > MaxFileSize)
            {
                throw new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.LoaderLimitExceeded,
                    $"{names.Prefix}: the file '{fullPath}' ({settingKey}) is {info.Length} bytes, more than the {MaxFileSize} bytes a {kind} may have. Check that the setting points at the {kind}.",
                    fullPath);
            }

            return ReadAtMost(names, settingKey, fullPath, kind);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.FileNotFound,
                $"{names.Prefix}: the file '{fullPath}' ({settingKey}) does not exist. Check the path.",
                fullPath);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw Unreadable(names, settingKey, fullPath, ex.Message);
        }
    }

    /// <summary>Reads the file with a hard cap: a file that grows after its size was read is never read past the cap.</summary>
    private static byte[] ReadAtMost(SettingNames names, string settingKey, string fullPath, string kind)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        var buffer = new byte[Math.Min(MaxFileSize + 1, Math.Max(stream.Length, 4096) + 1)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > MaxFileSize)
                {
                    throw new ClientCertificateException(
                        names.ClientName,
                        ClientCertificateFailureReason.LoaderLimitExceeded,
                        $"{names.Prefix}: the file '{fullPath}' ({settingKey}) has more than the {MaxFileSize} bytes a {kind} may have. Check that the setting points at the {kind}.",
                        fullPath);
                }

                Array.Resize(ref buffer, (int)Math.Min(MaxFileSize + 1, (long)buffer.Length * 2));
            }

            var read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                return total == buffer.Length ? buffer : buffer[..total];
            }

            total += read;
        }
    }

    private static ClientCertificateException Unreadable(SettingNames names, string settingKey, string fullPath, string why) =>
        new(
            names.ClientName,
            ClientCertificateFailureReason.FileUnreadable,
            $"{names.Prefix}: the file '{fullPath}' ({settingKey}) cannot be read: {why}. Check the path and that the process may read the file.",
            fullPath);
}
