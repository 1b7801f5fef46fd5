namespace ClientCertHttp.Testing;

/// <summary>
/// Writes a folder the way the kubelet mounts a <c>kubernetes.io/tls</c> secret: the files live in a timestamped
/// folder <c>..2026_11_27_16_00_00.123456789</c>, <c>..data</c> is a symbolic link to it, and <c>tls.crt</c>,
/// <c>tls.key</c> and <c>ca.crt</c> are symbolic links to <c>..data/&lt;name&gt;</c>
/// (<see cref="KubernetesProjectedVolume"/> writes any other set of files the same way).
/// <see cref="TestCertificateAuthority.WriteKubernetesTlsSecret"/> fills one from a test certificate.
/// </summary>
/// <remarks>Symbolic links and <c>rename(2)</c> make this Linux and macOS only.</remarks>
public static class KubernetesTlsSecret
{
    /// <summary>Gets a value indicating whether <paramref name="folder"/> holds a secret written by <see cref="Write"/>.</summary>
    /// <param name="folder">The mount folder.</param>
    /// <returns><see langword="true"/> when <c>..data</c> is a symbolic link.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    public static bool Exists(string folder) => KubernetesProjectedVolume.Exists(folder);

    /// <summary>
    /// Writes the secret's files into <paramref name="folder"/> with the kubelet's symbolic-link layout. A folder that
    /// already holds a secret is updated atomically instead (see <see cref="Update"/>).
    /// </summary>
    /// <param name="folder">The mount folder (created if needed).</param>
    /// <param name="tlsCrt">The content of <c>tls.crt</c>.</param>
    /// <param name="tlsKey">The content of <c>tls.key</c>.</param>
    /// <param name="caCrt">The content of <c>ca.crt</c>, or <see langword="null"/> to omit it.</param>
    /// <returns>The name of the timestamped data folder (relative to <paramref name="folder"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tlsCrt"/> or <paramref name="tlsKey"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    public static string Write(string folder, string tlsCrt, string tlsKey, string? caCrt = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(tlsCrt);
        ArgumentNullException.ThrowIfNull(tlsKey);
        return KubernetesProjectedVolume.Write(folder, Files(tlsCrt, tlsKey, caCrt));
    }

    /// <summary>
    /// Publishes new content the way the kubelet updates a mounted secret: a new timestamped folder, then an atomic
    /// <c>rename(2)</c> of a temporary link over <c>..data</c>, then removal of the old folder. The plain-name links
    /// (<c>tls.crt</c>, <c>tls.key</c>) never change, so readers see either the old files or the new ones; a key that
    /// is no longer in the secret (<c>ca.crt</c> when <paramref name="caCrt"/> is <see langword="null"/>) loses its link,
    /// a new one gains one.
    /// </summary>
    /// <param name="folder">A mount folder written by <see cref="Write"/>.</param>
    /// <param name="tlsCrt">The new content of <c>tls.crt</c>.</param>
    /// <param name="tlsKey">The new content of <c>tls.key</c>.</param>
    /// <param name="caCrt">The new content of <c>ca.crt</c>, or <see langword="null"/> when the secret has none.</param>
    /// <returns>The name of the new timestamped data folder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tlsCrt"/> or <paramref name="tlsKey"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="folder"/> holds no secret written by <see cref="Write"/>.</exception>
    /// <exception cref="IOException">The <c>rename(2)</c> failed.</exception>
    public static string Update(string folder, string tlsCrt, string tlsKey, string? caCrt = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(tlsCrt);
        ArgumentNullException.ThrowIfNull(tlsKey);
        return KubernetesProjectedVolume.Update(folder, Files(tlsCrt, tlsKey, caCrt));
    }

    private static Dictionary<string, string> Files(string tlsCrt, string tlsKey, string? caCrt)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal) { ["tls.crt"] = tlsCrt, ["tls.key"] = tlsKey };
        if (caCrt is not null)
        {
            files["ca.crt"] = caCrt;
        }

        return files;
    }
}
