namespace ClientCertHttp.TestUtilities;

/// <summary>
/// Writes a folder the way the kubelet mounts a <c>kubernetes.io/tls</c> secret: the files live in a timestamped
/// folder <c>..2026_11_27_16_00_00.123456789</c>, <c>..data</c> is a symbolic link to it, and <c>tls.crt</c>,
/// <c>tls.key</c> and <c>ca.crt</c> are symbolic links to <c>..data/&lt;name&gt;</c>.
/// </summary>
public static partial class KubernetesTlsSecret
{
    /// <summary>Writes the secret's files into <paramref name="folder"/> with the kubelet's symbolic-link layout.</summary>
    /// <param name="folder">The mount folder (created if needed).</param>
    /// <param name="tlsCrt">The content of <c>tls.crt</c>.</param>
    /// <param name="tlsKey">The content of <c>tls.key</c>.</param>
    /// <param name="caCrt">The content of <c>ca.crt</c>, or <see langword="null"/> to omit it.</param>
    /// <returns>The name of the timestamped data folder (relative to <paramref name="folder"/>).</returns>
    public static string Write(string folder, string tlsCrt, string tlsKey, string? caCrt = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(tlsCrt);
        ArgumentNullException.ThrowIfNull(tlsKey);

        Directory.CreateDirectory(folder);
        var dataFolderName = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss.fffffff", System.Globalization.CultureInfo.InvariantCulture);
        var dataFolder = Directory.CreateDirectory(Path.Combine(folder, dataFolderName)).FullName;

        var files = new Dictionary<string, string> { ["tls.crt"] = tlsCrt, ["tls.key"] = tlsKey };
        if (caCrt is not null)
        {
            files["ca.crt"] = caCrt;
        }

        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(dataFolder, name), content);
        }

        // The kubelet points ..data at the new folder with an atomic rename(2) of a temporary link; .NET has no
        // rename-over for links to folders, so this writer replaces the link (fine for a first write, which is what
        // the tests of loading need; a rotation test will need the atomic swap).
        var dataLink = Path.Combine(folder, "..data");
        if (new FileInfo(dataLink).LinkTarget is not null)
        {
            File.Delete(dataLink);
        }

        Directory.CreateSymbolicLink(dataLink, dataFolderName);

        foreach (var name in files.Keys)
        {
            var link = Path.Combine(folder, name);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, Path.Combine("..data", name));
            }
        }

        return dataFolderName;
    }

    /// <summary>
    /// Publishes new content the way the kubelet updates a mounted secret: a new timestamped folder, then an atomic
    /// <c>rename(2)</c> of a temporary link over <c>..data</c>, then removal of the old folder. The plain-name links
    /// (<c>tls.crt</c>, <c>tls.key</c>) never change; readers see either the old files or the new ones.
    /// </summary>
    /// <param name="folder">A mount folder written by <see cref="Write"/>.</param>
    /// <param name="tlsCrt">The new content of <c>tls.crt</c>.</param>
    /// <param name="tlsKey">The new content of <c>tls.key</c>.</param>
    /// <returns>The name of the new timestamped data folder.</returns>
    public static string Update(string folder, string tlsCrt, string tlsKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var dataLink = Path.Combine(folder, "..data");
        var oldFolder = new FileInfo(dataLink).LinkTarget ?? throw new InvalidOperationException($"'{dataLink}' is not a link; write the secret with Write first.");

        // A distinct name even when two updates fall in the same clock tick.
        var dataFolderName = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss.fffffff", System.Globalization.CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..6];
        var dataFolder = Directory.CreateDirectory(Path.Combine(folder, dataFolderName)).FullName;
        File.WriteAllText(Path.Combine(dataFolder, "tls.crt"), tlsCrt);
        File.WriteAllText(Path.Combine(dataFolder, "tls.key"), tlsKey);

        var temporaryLink = Path.Combine(folder, "..data_tmp");
        Directory.CreateSymbolicLink(temporaryLink, dataFolderName);
        if (NativeMethods.Rename(temporaryLink, dataLink) != 0)
        {
            throw new IOException($"rename(2) of '{temporaryLink}' over '{dataLink}' failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }

        Directory.Delete(Path.Combine(folder, oldFolder), recursive: true);
        return dataFolderName;
    }

    private static partial class NativeMethods
    {
        // The same system call the kubelet's atomic writer uses to swap ..data.
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        internal static partial int Rename(string oldPath, string newPath);
    }
}
