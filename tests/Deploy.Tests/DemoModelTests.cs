using LlmServe.AllInOne.Serve;

namespace LlmServe.Deploy.Tests;

/// <summary>
/// The demo model is what scripts/deploy-smoke.sh mounts as MODEL_DIR (it runs this test to write it when
/// missing): it must hold the files the tokenizer, worker and detokenizer read from /models.
/// </summary>
public sealed class DemoModelTests
{
    [Fact]
    public void DemoModel_directory_holds_the_files_a_model_mount_needs()
    {
        string directory = AllInOneHost.EnsureDemoModel();
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
        {
            Assert.True(new FileInfo(Path.Combine(directory, file)).Length > 0, $"{file} missing or empty in {directory}");
        }
    }
}
