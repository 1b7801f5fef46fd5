using ClientCertHttp.DependencyInjection;


namespace ClientCertHttp.Certificates;

/// <summary>Reads a configured certificate file and turns I/O failures into typed errors naming the file.</summary>
internal static class CertificateFile
{
    // Certificate files are kilobytes; a cap keeps a misconfigured path (a log file, a disk image) from being read whole.
    internal const long MaxFileSize = 4 * 1024 * 1024;

    public static string ResolvePath(string path) => System.IO.Path.GetFullPath(path);

    public static byte[] ReadAllBytes(SettingNames names, string settingKey, string fullPath)
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

            if (info.Length > MaxFileSize)
            {
                throw new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.LoaderLimitExceeded,
                    $"{names.Prefix}: the file '{fullPath}' ({settingKey}) is {info.Length} bytes, more than the {MaxFileSize} bytes a certificate file may have. Check that the setting points at the certificate file.",
                    fullPath);
            }

            return File.ReadAllBytes(fullPath);
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

    private static ClientCertificateException Unreadable(SettingNames names, string settingKey, string fullPath, string why) =>
        new(
            names.ClientName,
            ClientCertificateFailureReason.FileUnreadable,
            $"{names.Prefix}: the file '{fullPath}' ({settingKey}) cannot be read: {why}. Check the path and that the process may read the file.",
            fullPath);
}
