using LlmServe.Messaging.Hosting;
using LlmServe.Scheduler.Service;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlmServe.Scheduler.Tests.Service;

public sealed class SchedulerOptionsTests
{
    [Fact]
    public void Validator_names_every_bad_setting()
    {
        var options = new SchedulerOptions { Model = "", MaxNumSeqs = 0, BlockSize = 5000, Watermark = 0.9, WorkerTimeout = TimeSpan.Zero };
        ValidateOptionsResult result = new SchedulerOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Model", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MaxNumSeqs", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("BlockSize", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Watermark", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("WorkerTimeout", StringComparison.Ordinal));
        Assert.True(new SchedulerOptionsValidator().Validate(null, new SchedulerOptions { Model = "m" }).Succeeded);
    }

    [Fact]
    public async Task Host_refuses_to_start_with_invalid_configuration()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Scheduler:MaxNumBatchedTokens"] = "0" });
        builder.Services.AddMessageBus(builder.Configuration);
        builder.Services.AddSchedulerService(builder.Configuration);
        using IHost host = builder.Build();
        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Binds_the_scheduler_section()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Scheduler:Model"] = "llama",
            ["Scheduler:MaxNumSeqs"] = "8",
            ["Scheduler:Policy"] = "Priority",
            ["Scheduler:WorkerTimeout"] = "00:00:05",
        });
        builder.Services.AddMessageBus(builder.Configuration);
        builder.Services.AddSchedulerService(builder.Configuration);
        using IHost host = builder.Build();
        SchedulerOptions options = host.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;
        Assert.Equal("llama", options.Model);
        Assert.Equal(8, options.MaxNumSeqs);
        Assert.Equal(LlmServe.Scheduler.Planning.SchedulingPolicy.Priority, options.Policy);
        Assert.Equal(TimeSpan.FromSeconds(5), options.WorkerTimeout);
    }
}
