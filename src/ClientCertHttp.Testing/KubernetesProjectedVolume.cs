using System.Globalization;
using System.Runtime.InteropServices;

namespace ClientCertHttp.Testing;

/// <summary>
/// Writes a folder the way the kubelet's atomic writer fills a secret or projected volume: the files live in a
/// timestamped folder <c>..2026_11_27_16_00_00.123456789</c>, <c>..data</c> is a symbolic link to it, and every file is
/// a symbolic link <c>&lt;name&gt; → ..data/&lt;name&gt;</c>. A Kubernetes Pod Certificates projection
/// (<c>podCertificate</c> with <c>credentialBundlePath: credentialbundle.pem</c>) is written this way; so is a
/// <c>kubernetes.io/tls</c> secret (<see cref="KubernetesTlsSecret"/>).
/// </summary>
/// <remarks>Symbolic links and <c>rename(2)</c> make this Linux and macOS only.</remarks>
public static partial class KubernetesProjectedVolume
{
    private const string DataLink = "..data";

    /// <summary>Gets a value indicating whether <paramref name="folder"/> holds a volume written by <see cref="Write"/>.</summary>
    /// <param name="folder">The mount folder.</param>
    /// <returns><see langword="true"/> when <c>..data</c> is a symbolic link.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    public static bool Exists(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return new FileInfo(Path.Combine(folder, DataLink)).LinkTarget is not null;
    }

    /// <summary>
    /// Writes <paramref name="files"/> into <paramref name="folder"/> with the kubelet's symbolic-link layout. A folder
    /// that already holds a volume is updated atomically instead (see <see cref="Update"/>).
    /// </summary>
    /// <param name="folder">The mount folder (created if needed).</param>
    /// <param name="files">The files: plain file names (no folder) and their text.</param>
    /// <returns>The name of the timestamped data folder (relative to <paramref name="folder"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty, or a file name is empty, has a folder or starts with '..'.</exception>
    public static string Write(string folder, IReadOnlyDictionary<string, string> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        CheckNames(files);
        if (Exists(folder))
        {
            return Update(folder, files);
        }

        Directory.CreateDirectory(folder);
        string dataFolderName = WriteDataFolder(folder, files);
        Directory.CreateSymbolicLink(Path.Combine(folder, DataLink), dataFolderName);
        UpdateFileLinks(folder, [], files.Keys);
        return dataFolderName;
    }

    /// <summary>
    /// Publishes new content the way the kubelet updates a volume: a new timestamped folder, then an atomic
    /// <c>rename(2)</c> of a temporary link over <c>..data</c>, then removal of the old folder. The plain-name links
    /// never change, so readers see either the old files or the new ones; a file that is no longer in
    /// <paramref name="files"/> loses its link, a new one gains one.
    /// </summary>
    /// <param name="folder">A mount folder written by <see cref="Write"/>.</param>
    /// <param name="files">The new files: plain file names (no folder) and their text.</param>
    /// <returns>The name of the new timestamped data folder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty, or a file name is empty, has a folder or starts with '..'.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="folder"/> holds no volume written by <see cref="Write"/>.</exception>
    /// <exception cref="IOException">The <c>rename(2)</c> failed.</exception>
    public static string Update(string folder, IReadOnlyDictionary<string, string> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        CheckNames(files);
        string dataLink = Path.Combine(folder, DataLink);
        string oldFolder = new FileInfo(dataLink).LinkTarget
            ?? throw new InvalidOperationException($"'{dataLink}' is not a symbolic link; write the folder with {nameof(Write)} first.");
        string[] previous = [.. Directory.EnumerateFiles(Path.Combine(folder, oldFolder)).Select(f => Path.GetFileName(f))];

        string dataFolderName = WriteDataFolder(folder, files);
        string temporaryLink = Path.Combine(folder, "..data_tmp");
        File.Delete(temporaryLink);
        Directory.CreateSymbolicLink(temporaryLink, dataFolderName);
        if (NativeMethods.Rename(temporaryLink, dataLink) != 0)
        {
            throw new IOException($"rename(2) of '{temporaryLink}' over '{dataLink}' failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        UpdateFileLinks(folder, previous, files.Keys);
        Directory.Delete(Path.Combine(folder, oldFolder), recursive: true);
        return dataFolderName;
    }

    private static void CheckNames(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (string name in files.Keys)
        {
            if (string.IsNullOrEmpty(name) || name.StartsWith("..", StringComparison.Ordinal) || name.IndexOfAny(['/', '\\']) >= 0)
            {
                throw new ArgumentException($"'{name}' is not a plain file name: the volume's files are links beside '..data'.", nameof(files));
            }
        }
    }

    private static string WriteDataFolder(string folder, IReadOnlyDictionary<string, string> files)
    {
        // Timestamped like the kubelet's folders; the suffix keeps two writes in one clock tick apart.
        string name = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss.fffffff", CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..6];
        string path = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        foreach ((string file, string content) in files)
        {
            File.WriteAllText(Path.Combine(path, file), content);
        }

        return name;
    }

    private static void UpdateFileLinks(string folder, IEnumerable<string> previous, IEnumerable<string> present)
    {
        var names = new HashSet<string>(present, StringComparer.Ordinal);
        foreach (string name in names.Union(previous, StringComparer.Ordinal))
        {
            string link = Path.Combine(folder, name);
            bool exists = new FileInfo(link).LinkTarget is not null;
            if (names.Contains(name) && !exists)
            {
                File.CreateSymbolicLink(link, Path.Combine(DataLink, name));
            }
            else if (!names.Contains(name) && exists)
            {
                File.Delete(link);
            }
        }
    }

    private static partial class NativeMethods
    {
        // The same system call the kubelet's atomic writer uses to swap ..data.
        [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Rename(string oldPath, string newPath);
    }
}
